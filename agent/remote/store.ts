// Where the last good configuration from the collector is kept (next to the token, mode 0600), so an
// agent restarted while the collector is out of reach starts with what it last ran.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FLEET_LIMITS, type ApplyConfigPayload } from '../../protocol/index.ts';
import type { AgentConfig } from '../config.ts';

/** `remote-config.json` in the directory of collector.tokenFile (the agent's own state directory). */
export function remoteConfigFile(config: AgentConfig): string {
  return join(dirname(resolve(dirname(config.file), config.collector!.tokenFile)), 'remote-config.json');
}

/** The stored payload, or why there is none; it is judged again before it runs (the local policy may have changed). */
export function readRemoteConfig(file: string): { payload?: unknown; problem?: string } {
  try {
    // Bounded: the file is ours, but a damaged or planted one must not cost the agent its memory.
    if (statSync(file).size > 2 * FLEET_LIMITS.payloadBytes) return { problem: 'larger than any configuration the agent would have stored' };
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { payload?: unknown };
    return { payload: doc.payload };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    return { problem: code ? `cannot read it (${code})` : `not valid JSON (${(err as Error).message})` };
  }
}

/** Atomic and durable: a crash leaves the old file or the new one, never half of one. */
export function writeRemoteConfig(file: string, payload: ApplyConfigPayload): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ savedAt: new Date().toISOString(), payload }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
