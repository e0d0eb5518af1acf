// The collector's configuration errors, one small invalid file per rule (as blackbox_exporter's
// testdata/invalid-*.yml): each must name the file, the key and what was expected, exactly as written here.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue, ConfigError } from '../protocol/index.ts';
import { loadCollectorConfig } from './config.ts';

const DIR = join(import.meta.dirname, 'testdata');

// file (without invalid- and .yaml) -> the messages after "FILE: ", in order.
const EXPECTED: Array<[string, string[]]> = [
  ['status-duplicate-service', ['status.services[1].id: duplicate service id "cong"']],
  ['status-measurement', ['status.services[0].probes[0].measurement: expected one of http, tcp, ping, sip, dns, web_integrity, got "host"']],
  ['status-plain-http-public', ['status.listen.plainHttp: plain HTTP is allowed only when status.listen.host is a loopback address (put a TLS proxy in front), got "0.0.0.0"']],
  ['status-probe-tag', ['status.services[0].probes[0].tags.host: "http" has no tag "host" (tags: url, name, group, result)']],
  ['status-unknown-agency', ['status.services[0].probes[0].agencies: unknown agency "so-tai-chinh" (known: so-y-te)']],
  ['agency-contact', ['agencies[0].contacts[0]: expected an e-mail address, got "it-so-y-te"']],
  ['agency-duplicate', ['agencies[1].id: duplicate agency id "so-y-te"']],
  ['agency-id', ['agencies[0].id: expected a lowercase id of letters, digits and dashes, such as so-y-te, got "Sở Y tế"']],
  ['agency-series-budget', ['agencies[0].seriesBudget: expected a number of series per measurement per agent from 1 to 1000000, such as 5000, got "lots"']],
  ['agency-vars-builtin', ['agencies[0].vars.id: id is given by the agency itself (${agency.id}); choose another variable name']],
  ['agency-vars-name', ['agencies[0].vars: expected variable names of letters, digits and _ starting with a letter (written ${agency.NAME} in a profile), got "portal-url"']],
  ['agency-vars-value', ['agencies[0].vars.portalUrl: expected a text of 1 to 1024 characters without control characters, got "https://soyte.example.gov.vn/\\nx"']],
  ['fleet-profiles-dir-missing', [`fleet.profilesDir: ${join(DIR, 'no-such-profiles')} is not a directory; expected the directory of profile files (create it, it may be empty)`]],
  ['fleet-unknown-key', ['fleet.profileDir: unknown key (known keys: profilesDir)']],
  ['agency-level', ['agencies[0].level: expected one of "province", "department", "district", "commune", got "ministry"']],
  ['agency-locale', ['agencies[0].locale: expected one of "vi", "en", got "fr"']],
  ['body-limit-small', ['ingest.bodyLimit: expected a size in bytes, got number 10']],
  ['channel-duplicate', ['alerts.channels[1].name: duplicate channel name "soc"']],
  ['channel-foreign-key', ['alerts.channels[0].chatId: not a key of a webhook channel (its own keys: url, secretFile)']],
  // The value of an unknown key is never echoed: here it is a secret.
  [
    'channel-secret-in-yaml',
    [
      'alerts.channels[0].secret: unknown key (known keys: name, type, url, secretFile, apiUrl, botTokenFile, chatId, ca, timeout, maxBackoff, locale, agencies, levels, severities, rules, escalation, sendResolved)',
    ],
  ],
  ['channel-secret-short', [`alerts.channels[0].secretFile: ${join(DIR, 'channel-short.secret')}: the secret is shorter than 16 characters; expected a long random secret (openssl rand -hex 32)`]],
  ['channel-timeout', ['alerts.channels[0].timeout: must be at most 2m, got "10m"']],
  ['channel-token-file-missing', [`alerts.channels[0].botTokenFile: cannot read ${join(DIR, 'missing.token')} (no such file); expected a file holding the bot token from @BotFather`]],
  ['channel-type', ['alerts.channels[0].type: expected one of webhook telegram, got "slack"']],
  ['channel-unknown-agency', ['alerts.channels[0].agencies[0]: unknown agency "so-tai-chinh" (known: so-y-te)']],
  ['channel-webhook-no-secret', ['alerts.channels[0].secretFile: missing; a webhook channel needs a path to a file holding the shared secret of its signature']],
  ['channel-webhook-url', ['alerts.channels[0].url: expected an http:// or https:// URL such as https://soar.example.vn/hooks/canhgac, got "soar.example.vn/hooks/canhgac"']],
  ['deadletter-small', ['spool.deadLetterMaxBytes: expected a size in bytes of at least 65536 (64 KiB), got number 1000']],
  ['duration-word', ['ingest.maxSampleAge: expected a duration such as 30s, 5m or 1h, got "a week"']],
  ['history-short', ['alerts.historyRetention: must be at least 62d, got "30d"']],
  ['trusted-proxy', [
    'listen.trustedProxies[1]: expected an address or network such as 127.0.0.1 or 10.0.0.0/24, got "haproxy.local"',
    'listen.trustedProxies[2]: expected an address or network such as 127.0.0.1 or 10.0.0.0/24, got "10.0.0.0/33"',
  ]],
  ['influx-url', ['influx.url: expected an http:// or https:// URL such as http://127.0.0.1:8086, got "localhost:8086"']],
  ['influx-url-and-urls', ['influx.urls: give either influx.url (one node) or influx.urls (several nodes), not both']],
  ['influx-urls-credentials', ['influx.urls[1]: credentials do not belong in the URL: give influx.username and influx.passwordFile']],
  ['influx-urls-duplicate', ['influx.urls[1]: the same node as influx.urls[0] (http://10.0.0.2:8086); expected each node once']],
  ['influx-urls-empty', ['influx.urls: needs at least 1 item: expected a list of 1 to 8 InfluxDB URLs, such as [http://influx-1:8086, http://influx-2:8086], got an empty list']],
  ['influx-urls-scheme', ['influx.urls[1]: expected an http:// or https:// URL such as http://127.0.0.1:8086, got "10.0.0.3:8086"']],
  ['influx-urls-too-many', ['influx.urls: expected at most 8 InfluxDB nodes, got 9']],
  ['maintenance-agency', ['alerts.maintenance[0].agency: unknown agency "so-tai-chinh" (known: so-y-te)']],
  ['maintenance-time', ['alerts.maintenance[0].start: expected a time of day such as 22:00, got "25:00"']],
  ['not-a-mapping', ['expected a mapping']],
  ['plain-http-public', ['listen.plainHttp: plain HTTP is allowed only when listen.host is a loopback address, got "0.0.0.0"']],
  ['port-type', ['listen.port: expected a whole number from 0 to 65535, got "eighty"']],
  ['rate-zero', ['ingest.rateLimit.requestsPerSecond: expected a positive number, got number 0']],
  ['retention-short', ['influx.rawRetention: must be at least 1h, got "10m"']],
  ['rule-bad-matcher', ['alerts.rules[0].matchers.target: invalid regular expression "~(": missing closing ): `(` (RE2 syntax: no look-around or back-references)']],
  ['rule-text-field', ['alerts.rules[0].field: field "vendor" of "lan_device" is text; a rule needs a numeric field']],
  ['rule-unknown-measurement', [`alerts.rules[0].measurement: unknown measurement "pong" (known: ${Object.keys(catalogue).join(', ')})`]],
  ['series-budget-zero', ['ingest.seriesBudget.perMeasurement: expected a number of series per measurement per agent from 1 to 1000000, such as 2000, got number 0']],
  ['smtp-password-no-user', ['smtp.username: missing; expected the SMTP user name that goes with smtp.passwordFile']],
  ['spool-max-lag', ['spool.maxLagBytes: must be at most spool.maxBytes (104857600), got 209715200']],
  ['spool-small', ['spool.maxBytes: expected a size in bytes of at least 1048576 (1 MiB), got number 1000']],
  ['state-driver', ['state.driver: expected sqlite (the embedded file, the default) or postgres, got "mysql"']],
  // The password is never repeated in the message.
  ['state-password-in-url', ['state.url: a password does not belong in the URL (it would be in the config, its backups and ps): put it in a file of its own (mode 0600) and name it in state.passwordFile']],
  ['state-pool-size', ['state.poolSize: expected connections to PostgreSQL, from 1 to 100, such as 10, got number 1000']],
  ['state-statement-timeout', ['state.statementTimeout: must be at least 1s, got "0s"']],
  ['state-url-missing', ['state.url: missing; expected with driver postgres: a URL such as postgres://canhgac@127.0.0.1:5432/canhgac (the password in state.passwordFile)']],
  ['state-url-scheme', ['state.url: expected postgres://USER@HOST:PORT/DATABASE, got "db.example.vn:5432/canhgac"']],
  [
    'state-url-with-sqlite',
    [
      'state.url: only for driver postgres (state.driver is sqlite, the default): remove it, or set state.driver: postgres',
      'state.passwordFile: only for driver postgres (state.driver is sqlite, the default): remove it, or set state.driver: postgres',
    ],
  ],
  ['tls-key-missing', ['tls.key: missing; expected a path to the PEM private key']],
  ['unknown-key', ['lisen: unknown key (known keys: listen, tls, login, dataDir, state, influx, ingest, spool, agencies, devices, alerts, smtp, report, status, fleet)']],
  ['yaml-syntax', ['line 3 column 1: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']],
];

describe('collector configuration errors', () => {
  it('every file in testdata/ has its row and every row its file', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/^invalid-|\.yaml$/g, '')).sort();
    expect(EXPECTED.map(([name]) => name).sort()).toEqual(files);
  });

  it.each(EXPECTED)('invalid-%s.yaml', (name, messages) => {
    const file = join(DIR, `invalid-${name}.yaml`);
    let error: unknown;
    try {
      loadCollectorConfig(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.split('\n')).toEqual(messages.map((m) => `${file}: ${m}`));
  });
});
