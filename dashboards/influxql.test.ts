import { describe, expect, it } from 'vitest';
import { countTagValues, from, latestWhere, numericFields, variable } from './influxql.ts';

describe('typed InfluxQL builder', () => {
  it('builds a Grafana raw query with the dashboard macros left in place', () => {
    const q = from('ping').agg('mean', 'rtt_avg_ms').where('agency', variable('agency')).where('group', 'wan').byTime().by('target');
    expect(q.toString()).toBe(
      `SELECT mean("rtt_avg_ms") AS "rtt_avg_ms" FROM "$rp"."ping" WHERE "agency" =~ /^$agency$/ AND "group" = 'wan' AND $timeFilter GROUP BY time($__interval), "target" fill(null)`,
    );
  });

  it('takes names only from the catalogue: a misspelt field or tag does not compile', () => {
    // @ts-expect-error: not a field of ping
    from('ping').agg('mean', 'rtt_average_ms');
    // @ts-expect-error: not a tag of tcp
    from('tcp').by('url');
    // @ts-expect-error: strings cannot be averaged
    from('lan_device').agg('mean', 'ip');
    // @ts-expect-error: not a measurement
    from('pings');
    expect(true).toBe(true);
  });

  it('refuses string fields outside the raw retention policy, which alone keeps them', () => {
    expect(() => from('lan_device').pick('last', 'vendor').toString()).toThrow(/rp\('raw'\)/);
    expect(from('lan_device').pick('last', 'vendor').rp('raw').toString()).toContain('FROM "raw"."lan_device"');
  });

  it('escapes literals and supports fixed windows, ordering and limits', () => {
    const q = from('http').agg('last', 'up').where('url', "http://x.example.vn/?a='b'").since('30d').newestFirst().limit(5);
    expect(q.toString()).toBe(`SELECT last("up") AS "up" FROM "$rp"."http" WHERE "url" = 'http://x.example.vn/?a=\\'b\\'' AND time > now() - 30d ORDER BY time DESC LIMIT 5`);
    expect(() => from('http').since('30 days')).toThrow(/duration/);
  });

  it('counts tag values and filters on the latest value through subqueries', () => {
    expect(countTagValues('agent_status', 'agent', 'cycle_ms', 'agents', { per: 'version' })).toBe(
      `SELECT count("v") AS "agents" FROM (SELECT last("cycle_ms") AS "v" FROM "$rp"."agent_status" WHERE $timeFilter GROUP BY "agent", "version") GROUP BY "version"`,
    );
    expect(latestWhere(from('security').agg('last', 'pass').by('check_id'), 'pass', '=', 0)).toBe(
      `SELECT * FROM (SELECT last("pass") AS "pass" FROM "$rp"."security" WHERE $timeFilter GROUP BY "check_id") WHERE "pass" = 0`,
    );
  });

  it('lists numeric fields in catalogue order', () => {
    expect(numericFields('tcp')).toEqual(['up', 'connect_ms']);
    expect(numericFields('lan_device')).toEqual(['up']);
  });
});
