// What every collector subcommand shares, so that each group behaves the same way: one usage error
// (exit 2), strict option parsing with --config built in, the state database for one command, tables.
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH, loadCollectorConfig, type CollectorConfig } from '../config.ts';
import { syncAgencies } from '../state/agencies.ts';
import { openState } from '../state/open.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { terminalSafe, terminalSafeLines } from './terminal.ts';
import { recordAudit, type AuditAction } from '../state/audit.ts';

/** A mistake in the command line: the dispatcher prints it with the group's usage and exits 2. */
export class UsageError extends Error {}

export type Out = (s: string) => void;
export const stdout: Out = (s) => void process.stdout.write(terminalSafeLines(s));

/** Each group file exports one: the lines it adds to the help, and what runs its commands. */
export interface CommandGroup {
  /** The top-level command names this group answers to. */
  commands: readonly string[];
  /** Its lines of the help text, each starting with two spaces and `canhgac-collector`. */
  usage: string;
  /** `argv` is what follows the command name; the result is the exit code. */
  run(command: string, argv: string[]): number | Promise<number>;
}

/**
 * `--help` or `-h` anywhere before a `--`. Checked before parsing, so that help works whatever else is
 * on the line (a missing required option, an unknown one).
 */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean | string[] | boolean[] };
type Options = Record<string, OptionSpec>;

const CONFIG_OPTION = { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_PATH } } as const;

/**
 * parseArgs, strict, with --config added: an option this group does not know is a usage error (rather
 * than silently ignored), and so are more positional arguments than `maxPositionals`.
 */
export function parseOptions<O extends Options>(argv: string[], options: O, maxPositionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...CONFIG_OPTION, ...options }, strict: true, allowPositionals: true });
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  return parsed;
}

/** The config named by --config (or the default); a bad one throws ConfigError (exit 2). */
export function loadConfig(values: { config?: string }): CollectorConfig {
  return loadCollectorConfig(values.config ?? DEFAULT_CONFIG_PATH);
}

/**
 * The state for one command, the same the collector uses (`state:` in the config: the SQLite file or
 * PostgreSQL), agencies in step with the config, closed whatever happens. A PostgreSQL that cannot be
 * reached is a StateConnectError: the message names the URL without its password, exit code 2.
 */
export async function withState<T>(config: CollectorConfig, fn: (state: StateSql) => T | Promise<T>): Promise<T> {
  const opened = await openState(config);
  try {
    await syncAgencies(opened.state, config.agencies);
    return await fn(opened.state);
  } finally {
    await opened.close();
  }
}

/** Columns padded to their widest cell, two spaces apart; the first row is the heading. */
export function printTable(rows: string[][], out: Out = stdout): void {
  const safe = rows.map((r) => r.map(terminalSafe));
  const widths = safe[0].map((_, i) => Math.max(...safe.map((r) => r[i].length)));
  for (const r of safe) out(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
}

/** "known: a, b" for messages about an unknown agency. */
export function knownAgencies(config: CollectorConfig): string {
  return config.agencies.map((a) => a.id).join(', ') || 'none configured';
}

/** Who ran a command, for the audit log: the login behind sudo when there is one. */
export function cliActor(): string {
  return process.env.SUDO_USER || process.env.USER || process.env.LOGNAME || 'unknown';
}

/** One audit entry for a command-line action (actor kind `cli`, no address). */
export async function cliAudit(state: StateSql, action: AuditAction, what: { target?: string; agency?: string; detail?: string } = {}): Promise<void> {
  await recordAudit(state.db, { actor: cliActor(), actorKind: 'cli', action, ...what });
}
