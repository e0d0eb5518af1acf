// `channels` and `test-channel`: the alert channels beside e-mail as configured, and a test message sent
// through one of them now (as `test-mail` does for SMTP), so a wrong URL, secret, token or chat shows at once.
import { channelOf, sendChannelTest } from '../alerts/channels/index.ts';
import { channelAddress, routeSummary } from '../alerts/channels/settings.ts';
import { channelLocale } from '../alerts/routing.ts';
import type { CollectorConfig } from '../config.ts';
import { loadConfig, parseOptions, printTable, stdout, UsageError, type CommandGroup, type Out } from './common.ts';

export const CHANNELS_USAGE = `  canhgac-collector channels [--json]                              alert channels beside e-mail (webhook, Telegram) and their routes
  canhgac-collector test-channel --name NAME                       send a test message through one channel now
`;

function listChannels(config: CollectorConfig, json: boolean): number {
  const list = config.alerting.alerts.channels;
  // Paths of secret files are shown, never their content.
  if (json) return stdout(JSON.stringify(list.map((c) => ({ name: c.name, type: c.type, target: channelAddress(c), route: c.route }))) + '\n'), 0;
  if (list.length === 0) return stdout(`no channels besides e-mail in ${config.file} (alerts.channels)\n`), 0;
  printTable([['NAME', 'TYPE', 'TARGET', 'ROUTE'], ...list.map((c) => [c.name, c.type, channelAddress(c), routeSummary(c)])]);
  return 0;
}

/** `test-channel --name NAME`: one test message through the channel, in its language; the receiver's answer on failure. */
export async function testChannel(config: CollectorConfig, name: string | undefined, out: Out = stdout, now = Date.now()): Promise<number> {
  const channels = config.alerting.alerts.channels;
  if (!name) throw new UsageError('test-channel: --name NAME is required');
  const settings = channels.find((c) => c.name === name);
  if (!settings) throw new UsageError(`test-channel: no channel "${name}" in ${config.file} (channels: ${channels.map((c) => c.name).join(', ') || 'none; see alerts.channels'})`);
  const locale = channelLocale(settings, new Map(config.agencies.map((a) => [a.id, a])), config.alerting.alerts);
  const target = channelOf(settings).target;
  try {
    await sendChannelTest(settings, locale, now);
    out(`test message sent through channel "${name}" (${target})\n`);
    return 0;
  } catch (err) {
    out(`test message through channel "${name}" (${target}) failed: ${(err as Error).message}\n`);
    return 1;
  }
}

export async function channelsCommand(command: string, argv: string[]): Promise<number> {
  if (command === 'channels') {
    const { values } = parseOptions(argv, { json: { type: 'boolean', default: false } });
    return listChannels(loadConfig(values), values.json);
  }
  const { values } = parseOptions(argv, { name: { type: 'string' } });
  return await testChannel(loadConfig(values), values.name);
}

export const channelsGroup: CommandGroup = { commands: ['channels', 'test-channel'], usage: CHANNELS_USAGE, run: channelsCommand };
