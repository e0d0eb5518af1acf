// The `canhgac-collector` command line: finds the group that owns a subcommand, answers --help for it,
// and turns what went wrong into the documented exit codes (0 ok, 1 failure, 2 config or usage error or
// a state database that cannot be reached at start).
import { ConfigError, EXIT_CONFIG, VERSION } from '../../protocol/index.ts';
import { DEFAULT_CONFIG_PATH } from '../config.ts';
import { StateConnectError } from '../state/sql/connect.ts';
import { agentGroup } from './agent.ts';
import { alertsGroup } from './alerts.ts';
import { certsGroup } from './certs.ts';
import { channelsGroup } from './channels.ts';
import { configGroup } from './config.ts';
import { UsageError, wantsHelp, type CommandGroup } from './common.ts';
import { devicesGroup } from './devices.ts';
import { enrollCodeGroup } from './enroll-code.ts';
import { meetingCheckGroup } from './meeting-check.ts';
import { releaseGroup } from './release.ts';
import { reportGroup } from './report.ts';
import { serveGroup } from './serve.ts';
import { spoolGroup } from './spool.ts';
import { stateGroup } from './state.ts';
import { tokenGroup } from './token.ts';
import { userGroup } from './user.ts';
import { webFindingsGroup } from './web-findings.ts';

const versionGroup: CommandGroup = {
  commands: ['version'],
  usage: '  canhgac-collector version\n',
  run: () => (process.stdout.write(`${VERSION}\n`), 0),
};

/** In the order the help lists them. */
export const GROUPS: readonly CommandGroup[] = [
  serveGroup,
  enrollCodeGroup,
  agentGroup,
  tokenGroup,
  devicesGroup,
  certsGroup,
  webFindingsGroup,
  alertsGroup,
  channelsGroup,
  userGroup,
  reportGroup,
  meetingCheckGroup,
  configGroup,
  releaseGroup,
  spoolGroup,
  stateGroup,
  versionGroup,
];

const FOOTER = `
Every subcommand takes --help (or -h).
The default config is ${DEFAULT_CONFIG_PATH}.
Exit codes: 0 ok, 1 failure, 2 configuration or usage error, or the state database
cannot be reached (nothing was started).
`;

const HELP = `canhgac-collector ${VERSION}: the Canh Gác collector

Usage:
${GROUPS.map((g) => g.usage).join('')}${FOOTER}`;

const groupHelp = (g: CommandGroup) => `Usage:\n${g.usage}${FOOTER}`;

function groupOf(command: string): CommandGroup | undefined {
  return GROUPS.find((g) => g.commands.includes(command));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    // `help agent` is the same as `agent --help`.
    const asked = command === 'help' && rest[0] ? groupOf(rest[0]) : undefined;
    process.stdout.write(asked ? groupHelp(asked) : HELP);
    return command ? 0 : 2;
  }
  if (command === '--version') return versionGroup.run('version', []);
  const group = groupOf(command);
  if (!group) {
    process.stderr.write(`canhgac-collector: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(groupHelp(group));
    return 0;
  }
  try {
    return await group.run(command, rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error:\n${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof StateConnectError) {
      // Like a config error, nothing was started: the message names the URL, never its password.
      process.stderr.write(`canhgac-collector: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`canhgac-collector: ${err.message}\n\n${groupHelp(group)}`);
      return 2;
    }
    // A person needs the reason; the stack only when asked for (CANHGAC_DEBUG=1).
    process.stderr.write(`canhgac-collector: ${process.env.CANHGAC_DEBUG ? (err as Error).stack : ((err as Error).message ?? String(err))}\n`);
    return 1;
  }
}
