// `serve` and `check-config`: the long-running collector, and the dry run that proves its config
// without opening a port or the state database.
import { checkProfiles } from '../fleet/sync.ts';
import { startCollector } from '../service.ts';
import { loadConfig, parseOptions, type CommandGroup } from './common.ts';

export const SERVE_USAGE = `  canhgac-collector serve        [--config FILE]            serve the agent API (HTTPS)
  canhgac-collector check-config [--config FILE]            validate the config
`;

async function serve(argv: string[]): Promise<number> {
  const config = loadConfig(parseOptions(argv, {}).values);
  const collector = await startCollector(config, { logger: { level: 'info' } });
  const log = collector.app.log;
  if (collector.tls) {
    log.info({ certificate: collector.tls.certFile, sha256: collector.tls.fingerprint256, generated: collector.tls.generated }, 'TLS certificate');
    process.stderr.write(`collector certificate ${collector.tls.certFile}\n  SHA-256 fingerprint ${collector.tls.fingerprint256}\n`);
  }
  process.stderr.write(`collector listening on ${collector.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      collector.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

function checkConfig(argv: string[]): number {
  const config = loadConfig(parseOptions(argv, {}).values);
  // `serve` refuses a bad profile file too, so the dry run reads them (config check says more).
  const { profiles } = checkProfiles(config);
  process.stdout.write(`${config.file}: ok, ${config.agencies.length} agencies, ${profiles.length} profile(s)\n`);
  return 0;
}

export function serveCommand(command: string, argv: string[]): number | Promise<number> {
  return command === 'serve' ? serve(argv) : checkConfig(argv);
}

export const serveGroup: CommandGroup = { commands: ['serve', 'check-config'], usage: SERVE_USAGE, run: serveCommand };
