// Where the agent keeps its token: one file, mode 0600, replaced atomically (enrolment, rotation).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The agent token lives in one file readable by the agent only (mode 0600). */
export function readToken(file: string): string | undefined {
  try {
    const t = readFileSync(file, 'utf8').trim();
    return t === '' ? undefined : t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function writeToken(file: string, token: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, token + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
