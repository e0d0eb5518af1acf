// The `canhgac-agent` command line: one configured agent, its checks run once or on their schedules,
// enrolment with a one-time code; exit codes 0 ok, 1 failure, 2 configuration or usage error.
import { parseArgs } from 'node:util';
import { ConfigError, EXIT_CONFIG, VERSION, type WireSample } from '../protocol/index.ts';
import { DEFAULT_CONFIG_PATH, loadAgentConfig, type AgentConfig } from './config.ts';
import { NotEnrolledError, startDaemon } from './daemon.ts';
import { enroll, EnrollError } from './enroll.ts';
import { CollectorUnreachable } from './collector-client.ts';
import { formatTable } from './format.ts';
import { createLogger } from './log.ts';
import { MemoryOutbox } from './outbox.ts';
import { runCheck } from './run-check.ts';
import { agentStatusSample } from './status.ts';
import { updateCheck } from './self-update/health-check.ts';
import { EXIT_RESTART, selfUpdateForRun } from './self-update/updater.ts';

/** Each subcommand's lines of the help, and the options it takes (besides --config). */
const COMMANDS: Record<string, { usage: string; options: readonly string[] }> = {
  once: { usage: '  canhgac-agent once   [--config FILE] [--json]   run every configured check once and print the samples\n', options: ['json'] },
  run: { usage: '  canhgac-agent run    [--config FILE]            run the checks on their schedules and send to the collector\n', options: [] },
  enroll: {
    usage: `  canhgac-agent enroll [--config FILE] --code CODE [--collector URL] [--ca FILE]
                                                  exchange a one-time code for this agent's token
`,
    options: ['code', 'collector', 'ca'],
  },
  'check-config': { usage: '  canhgac-agent check-config [--config FILE]      validate the config and exit\n', options: [] },
  'update-check': {
    usage: '  canhgac-agent update-check [--config FILE]      what a newly installed build runs once: config loads, the collector accepts its status (self-update)\n',
    options: [],
  },
  version: { usage: '  canhgac-agent version\n', options: [] },
};

const FOOTER = `
Every subcommand takes --help (or -h).
The default config is ${DEFAULT_CONFIG_PATH}.
Exit codes: 0 ok, 1 failure, 2 configuration or usage error (nothing was started).
`;

const HELP = `canhgac-agent ${VERSION}: the Canh Gác agent

Usage:
${Object.values(COMMANDS).map((c) => c.usage).join('')}${FOOTER}`;

const commandHelp = (command: string) => `Usage:\n${COMMANDS[command].usage}${FOOTER}`;

/** `--help` or `-h` anywhere before a `--`, whatever else is on the line. */
function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Strict: an option that this subcommand does not take is an error, not silently ignored. */
function parseOptions(command: string, argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_PATH },
      json: { type: 'boolean' },
      code: { type: 'string' },
      collector: { type: 'string' },
      ca: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const stray = Object.keys(values).find((k) => k !== 'config' && !COMMANDS[command].options.includes(k));
  if (stray) throw new Error(`${command} does not take --${stray}`);
  return values;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    // `help once` is the same as `once --help`.
    const asked = command === 'help' && rest[0] && Object.hasOwn(COMMANDS, rest[0]) ? rest[0] : undefined;
    process.stdout.write(asked ? commandHelp(asked) : HELP);
    return command ? 0 : 2;
  }
  if (!Object.hasOwn(COMMANDS, command) && command !== '--version') {
    process.stderr.write(`canhgac-agent: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(commandHelp(command === '--version' ? 'version' : command));
    return 0;
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let args;
  try {
    args = parseOptions(command, rest);
  } catch (err) {
    process.stderr.write(`canhgac-agent: ${(err as Error).message}\n\n${commandHelp(command)}`);
    return 2;
  }
  try {
    switch (command) {
      case 'once':
        return await once(loadAgentConfig(args.config!), args.json ?? false);
      case 'run':
        return await run(loadAgentConfig(args.config!));
      case 'check-config': {
        const cfg = loadAgentConfig(args.config!);
        process.stdout.write(`${cfg.file}: ok, ${cfg.checks.length} check(s)\n`);
        return 0;
      }
      case 'enroll':
        return await enrollCommand(args);
      case 'update-check':
        return await updateCheck(loadAgentConfig(args.config!));
      default:
        return 2; // unreachable: every key of COMMANDS has its case
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error:\n${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof NotEnrolledError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof CollectorUnreachable) {
      process.stderr.write(`cannot reach the collector: ${err.message}\n`);
      return 1;
    }
    if (err instanceof EnrollError) {
      process.stderr.write(`enrolment failed: ${err.message}\n`);
      return 1;
    }
    // A person needs the reason; the stack only when asked for (CANHGAC_DEBUG=1).
    process.stderr.write(`canhgac-agent: ${process.env.CANHGAC_DEBUG ? (err as Error).stack : (err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

async function once(config: AgentConfig, json: boolean): Promise<number> {
  const log = createLogger({ level: config.agent.logLevel });
  const interactive = !json && process.stderr.isTTY;
  const started = performance.now();
  const runs = await Promise.all(
    config.checks.map((entry) =>
      runCheck(entry, log, {
        deadlineMs: entry.config.intervalMs,
        progress: process.stderr.isTTY ? (m) => process.stderr.write(`\r${entry.id}: ${m}\x1b[K`) : undefined,
      }),
    ),
  );
  if (interactive) process.stderr.write('\r\x1b[K');
  const samples: WireSample[] = runs.flatMap((r) => r.samples);
  samples.push(agentStatusSample(new MemoryOutbox().stats(), performance.now() - started));
  process.stdout.write(json ? JSON.stringify(samples) + '\n' : formatTable(samples));
  return 0;
}

async function run(config: AgentConfig): Promise<number> {
  const log = createLogger({ level: config.agent.logLevel });
  let restart = () => undefined as void;
  const restarting = new Promise<void>((resolve) => (restart = resolve));
  // A new build installed by self-update: stop cleanly, then exit EXIT_RESTART so the service manager starts it.
  const selfUpdate = await selfUpdateForRun(config, log, restart);
  if (selfUpdate.restartNow) return EXIT_RESTART;
  const daemon = startDaemon(config, log, { pushed: selfUpdate.pushed });
  const reason = await new Promise<string>((resolve) => {
    const stop = (signal: string) => {
      log.info('stopping', { signal });
      daemon.stop().then(() => resolve(signal), () => resolve(signal));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    void restarting.then(() => stop('restart into another build'));
  });
  selfUpdate.stop();
  return reason === 'SIGTERM' || reason === 'SIGINT' ? 0 : EXIT_RESTART;
}

async function enrollCommand(args: { config?: string; code?: string; collector?: string; ca?: string }): Promise<number> {
  if (!args.code) {
    process.stderr.write('canhgac-agent enroll: --code CODE is required (ask the provincial IT centre for a one-time code)\n');
    return 2;
  }
  const config = loadAgentConfig(args.config!);
  const url = args.collector ?? config.collector?.url;
  const tokenFile = config.collector?.tokenFile;
  if (!url || !tokenFile) {
    throw new ConfigError(config.file, [{ path: 'collector', message: 'missing; enroll needs collector.url (or --collector) and collector.tokenFile' }]);
  }
  const result = await enroll({ collectorUrl: url, code: args.code, tokenFile, ca: args.ca ?? config.collector?.ca });
  process.stdout.write(`enrolled as agent ${result.agentId} of ${result.agencyName} (${result.agency}); token stored in ${tokenFile}\n`);
  return 0;
}
