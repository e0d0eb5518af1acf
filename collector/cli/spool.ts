// `spool clear-gap`: once an operator has filled an InfluxDB node's gap from another node, the mark of
// the samples it gave up is cleared. Only with the collector stopped: it owns the spool while it runs.
import { join } from 'node:path';
import { lockHolder } from '../../lib/segment-log.ts';
import type { CollectorConfig } from '../config.ts';
import { CursorFile } from '../spool/cursors.ts';
import { loadConfig, parseOptions, stdout, UsageError, type CommandGroup, type Out } from './common.ts';

export const SPOOL_USAGE = `  canhgac-collector spool clear-gap --node URL [--config FILE]
                                                            forget the gap of an InfluxDB node of influx.urls once it
                                                            is filled from another node (with the collector stopped)
`;

/** Clears the node's skipped count and gap window in dataDir/spool/cursors.json; 1 when there is nothing to clear. */
export function clearGap(config: CollectorConfig, nodeArg: string, out: Out = stdout): number {
  const node = URL.canParse(nodeArg) ? new URL(nodeArg).origin : undefined;
  if (!node || !config.influx.urls.includes(node)) {
    throw new UsageError(`--node: expected one of influx.urls (${config.influx.urls.join(', ')}), got ${JSON.stringify(nodeArg)}`);
  }
  const dir = join(config.dataDir, 'spool');
  const holder = lockHolder(dir);
  if (holder !== undefined) {
    process.stderr.write(`canhgac-collector: the collector (pid ${holder}) owns ${dir}: stop it first, clear the gap, start it again\n`);
    return 1;
  }
  const file = new CursorFile(dir);
  let cursors;
  try {
    cursors = file.readAll();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    cursors = new Map();
  }
  const c = cursors.get(node);
  if (!c || c.skipped === 0) {
    out(`${node} has no gap: nothing to clear\n`);
    return 1;
  }
  const was = `${c.skipped} samples that reached the collector from ${iso(c.gapSince)} to ${iso(c.gapUntil)}`;
  cursors.set(node, { pos: c.pos, caughtUpAt: c.caughtUpAt, skipped: 0 });
  file.save(cursors);
  out(`${node}: gap mark cleared (it was ${was})\n`);
  return 0;
}

const iso = (ms: number | undefined) => (ms === undefined ? 'an unknown time' : new Date(ms).toISOString());

function spoolCommand(_command: string, argv: string[]): number {
  const { values, positionals } = parseOptions(argv, { node: { type: 'string' } }, 1);
  if (positionals[0] !== 'clear-gap') throw new UsageError(positionals[0] ? `unknown spool command "${positionals[0]}"` : 'expected a spool command: clear-gap');
  if (!values.node) throw new UsageError('--node: missing; expected the URL of the InfluxDB node whose gap was filled');
  return clearGap(loadConfig(values), values.node);
}

export const spoolGroup: CommandGroup = { commands: ['spool'], usage: SPOOL_USAGE, run: spoolCommand };
