import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../protocol/index.ts';
import { parseCollectorConfig } from '../config.ts';
import { BUILTIN_RULES } from './builtin-rules.ts';

const dir = mkdtempSync(join(tmpdir(), 'canhgac-alert-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const agencies = [{ id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: ['it@soyte.example.vn'] }];
const parse = (doc: Record<string, unknown>) => parseCollectorConfig(join(dir, 'collector.yaml'), { agencies, ...doc });
function issues(doc: Record<string, unknown>): string {
  try {
    parse(doc);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('alert and smtp settings', () => {
  it('works with no configuration: every built-in rule, the documented defaults', () => {
    const { alerts, smtp } = parse({}).alerting;
    expect(alerts.rules.map((r) => r.name)).toEqual(BUILTIN_RULES.map((r) => r.name));
    expect(alerts.groupWaitMs).toBe(30_000);
    expect(alerts.repeatIntervalMs).toEqual({ critical: 4 * 3_600_000, warning: 24 * 3_600_000, info: 0 });
    expect(alerts.escalateAfterMs).toBe(30 * 60_000);
    expect(alerts.routing.securityTeam).toEqual(['critical']);
    expect(smtp).toBeUndefined();
    const down = alerts.rules.find((r) => r.name === 'target_down')!;
    expect(down).toMatchObject({ measurements: ['ping', 'tcp', 'http'], field: 'up', op: '==', threshold: 0, forMs: 120_000, severity: 'critical' });
  });

  it('tunes, disables and adds rules inline and from a rules file; inline wins', () => {
    const file = join(dir, 'rules.yaml');
    writeFileSync(
      file,
      `rules:
  - name: high_loss
    disabled: true
  - name: target_down
    for: 5m
  - name: ups_on_battery
    measurement: host
    field: load1
    op: ">"
    threshold: 8
    severity: info
    summary: { vi: "Tải cao trên {{host}}", en: "High load on {{host}}" }
`,
    );
    const { rules } = parse({ alerts: { rulesFile: 'rules.yaml', rules: [{ name: 'target_down', resolveAfter: '3m' }] } }).alerting.alerts;
    expect(rules.find((r) => r.name === 'high_loss')).toBeUndefined();
    expect(rules.find((r) => r.name === 'target_down')).toMatchObject({ forMs: 300_000, resolveAfterMs: 180_000 });
    expect(rules.find((r) => r.name === 'ups_on_battery')).toMatchObject({ measurements: ['host'], severity: 'info' });
  });

  it('names the key and what was expected for a rule of the wrong shape', () => {
    const msg = issues({ alerts: { rules: [{ name: 'z', measurement: 'tcp', field: 'up', op: '~', threshold: 1, severity: 'loud', summary: { vi: 'a', en: 'b' } }] } });
    expect(msg).toContain('collector.yaml: alerts.rules[0].op: expected one of > >= < <= == != between increase decrease, got "~"');
    expect(msg).toContain('alerts.rules[0].severity: expected one of info warning critical, got "loud"');
  });

  it('names the key and what was expected for a rule that does not fit the catalogue', () => {
    const msg = issues({
      alerts: {
        rules: [
          { name: 'x', measurement: 'tcpp', field: 'up', op: '==', threshold: 0, severity: 'critical', summary: { vi: 'a', en: 'b' } },
          { name: 'y', measurement: 'tcp', field: 'nope', op: 'between', threshold: 3, severity: 'warning', summary: { vi: 'a', en: 'b' }, for: 'soon' },
          { name: 'w', measurement: 'tcp' },
        ],
      },
    });
    expect(msg).toContain('collector.yaml: alerts.rules[0].measurement: unknown measurement "tcpp"');
    expect(msg).toContain('alerts.rules[1].field: measurement "tcp" has no field "nope"');
    expect(msg).toContain('alerts.rules[1].threshold: op between needs [low, high]');
    expect(msg).toContain('alerts.rules[1].for: expected a duration such as 30s, 5m or 1h, got "soon"');
    expect(msg).toContain('alerts.rules[2].severity: missing; expected one of info warning critical');
    expect(msg).toContain('alerts.rules[2].field: missing; expected the field to watch');
  });

  it('names the rules file in its own errors', () => {
    writeFileSync(join(dir, 'bad-rules.yaml'), 'rules:\n  - name: target_down\n    for: 2 minutes\n');
    expect(issues({ alerts: { rulesFile: 'bad-rules.yaml' } })).toBe(`${join(dir, 'bad-rules.yaml')}: rules[0].for: expected a duration such as 30s, 5m or 1h, got "2 minutes"`);
  });

  it('checks maintenance windows, routing levels, URLs and the smtp section', () => {
    const msg = issues({
      alerts: {
        maintenance: [{ agency: 'so-khong-co', days: ['sun'], start: '25:00', end: '02:00', timezone: 'Mars/Base' }],
        routing: { securityTeamByLevel: { village: ['critical'] } },
        consoleUrl: 'canhgac',
      },
      smtp: { host: 'mail.example.vn', from: 'canhgac@example.vn', passwordFile: '/run/secret' },
    });
    expect(msg).toContain('alerts.maintenance[0].agency: unknown agency "so-khong-co" (known: so-y-te)');
    expect(msg).toContain('alerts.maintenance[0].start: expected a time of day such as 22:00, got "25:00"');
    expect(msg).toContain('alerts.maintenance[0].timezone: unknown time zone "Mars/Base"');
    expect(msg).toContain('alerts.routing.securityTeamByLevel.village: unknown agency level');
    expect(msg).toContain('alerts.consoleUrl: expected a URL');
    expect(msg).toContain('smtp.username: missing; expected the SMTP user name that goes with smtp.passwordFile');
    // A password never goes in the YAML: only a file that holds it.
    expect(issues({ smtp: { host: 'mail.example.vn', from: 'canhgac@example.vn', password: 'x' } })).toMatch(/smtp\.password: unknown key/);
  });
});
