// The high-availability deploy examples (deploy/ha/): what can be checked without Docker or the
// PostgreSQL state (issue 19, in progress): they parse, name the shipped files, agree on every address,
// the collector's config is today's config but for its `state:` key, and pg-1's init script works.
import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseCollectorConfig } from '../collector/config.ts';
import { startPlainNode } from '../scripts/lib/postgres-pair.ts';
import { missing } from './support/require.ts';

const HA = join(import.meta.dirname, '..', 'deploy', 'ha');
const read = (path: string) => readFileSync(join(HA, path), 'utf8');

interface Service {
  image?: string;
  /** Short syntax (`source:target[:ro]`), or the long one (a tmpfs). */
  volumes?: (string | { type: string; target: string })[];
  network_mode?: string;
  networks?: { dc?: { ipv4_address?: string } };
}
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; secrets: Record<string, { environment: string }> };
const address = (service: string) => compose.services[service]?.networks?.dc?.ipv4_address;
/** The addresses pg_hba.conf lets in for a user and database. */
const hbaAddresses = (database: string, user: string) =>
  read('postgresql/pg_hba.conf')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === 'host' && f[1] === database && f[2] === user)
    .map((f) => f[3]!.replace(/\/32$/, ''));

describe('deploy/ha: the high-availability examples', () => {
  it('every example says it needs the PostgreSQL state still in progress', () => {
    for (const file of ['compose.yaml', 'collector.yaml', 'compose/collector.yaml', 'haproxy-postgres.cfg', 'systemd/canhgac-collector.service.d/ha.conf']) {
      expect(read(file).split('\n')[0], file).toMatch(/^# NEEDS THE POSTGRESQL STATE \(issue 19, in progress\)/);
    }
    expect(read('postgresql/README.md')).toContain('Needs the PostgreSQL state (issue 19, in progress)');
  });

  it('compose: two collectors each behind its own state HAProxy, the balancer, pg-1 and pg-2, two InfluxDB nodes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['balancer', 'collector-1', 'collector-2', 'influxdb-1', 'influxdb-2', 'pg-1', 'pg-2', 'state-proxy-1', 'state-proxy-2']);
    for (const n of [1, 2]) {
      expect(compose.services[`collector-${n}`]!.network_mode).toBe(`service:state-proxy-${n}`);
      expect(compose.services[`state-proxy-${n}`]!.volumes).toContain('./haproxy-postgres.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    }
    expect(compose.services.balancer!.volumes).toContain('./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    // Images pinned to a version, never a moving tag.
    for (const [name, s] of Object.entries(compose.services)) if (s.image) expect(s.image, name).toMatch(/:\d+\.\d+(\.\d+)?(-[a-z]+)?$/);
  });

  it('compose: every file it mounts from the repository exists (secrets/ is the site\'s own)', () => {
    const sources = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .flatMap((v) => (typeof v === 'string' ? [v.split(':')[0]!] : []))
      .filter((src) => src.startsWith('./'));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources.filter((s) => !s.startsWith('./secrets/'))) expect(existsSync(join(HA, src)), src).toBe(true);
  });

  it('compose: the addresses are the ones pg_hba.conf, haproxy-postgres.cfg and the collector config name', () => {
    const cfg = read('haproxy-postgres.cfg');
    expect(cfg).toContain(`server pg-1 ${address('pg-1')}:5432 check`);
    // The standby's line is shipped disabled (HAProxy counts an enabled server UP until its checks fail).
    expect(cfg).toContain(`server pg-2 ${address('pg-2')}:5432 check disabled\n`);
    expect(cfg).toContain('bind 127.0.0.1:5432');
    const collectorsAt = [address('state-proxy-1'), address('state-proxy-2')];
    expect(hbaAddresses('canhgac', 'canhgac')).toEqual(collectorsAt);
    expect(hbaAddresses('postgres', 'haproxy_check')).toEqual(collectorsAt);
    expect(hbaAddresses('replication', 'replicator')).toEqual([address('pg-1'), address('pg-2')]);
    for (const file of ['compose/collector.yaml', 'collector.yaml']) {
      const c = parse(read(file)) as { listen: { trustedProxies: string[] }; influx: { urls: string[] } };
      expect(c.listen.trustedProxies, file).toEqual([address('balancer')]);
      expect(c.influx.urls, file).toEqual([`http://${address('influxdb-1')}:8086`, `http://${address('influxdb-2')}:8086`]);
    }
    expect(read('compose/pg-replica-entrypoint.sh')).toContain(`pg_basebackup -h ${address('pg-1')} -U replicator`);
  });

  it('compose: env.example names every variable the file reads', () => {
    const env = read('compose/env.example');
    const vars = new Set([...read('compose.yaml').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!));
    for (const s of Object.values(compose.secrets)) vars.add(s.environment);
    for (const v of vars) expect(env, v).toMatch(new RegExp(`^${v}=`, 'm'));
  });

  it('the collector config: state on PostgreSQL through the local HAProxy, the whole file accepted by the collector', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canhgac-ha-config-'));
    try {
      mkdirSync(join(dir, 'profiles'));
      for (const file of ['collector.yaml', 'compose/collector.yaml']) {
        const raw = parse(read(file)) as Record<string, unknown> & { state: { driver: string; url: string; passwordFile: string } };
        expect(raw.state.driver, file).toBe('postgres');
        const url = new URL(raw.state.url);
        expect([url.hostname, url.port, url.username, url.password, url.pathname], file).toEqual(['127.0.0.1', '5432', 'canhgac', '', '/canhgac']);
        expect(raw.state.passwordFile, file).toMatch(/^\/(etc\/canhgac|run\/secrets)\/state[-_]password$/);
        const copy = join(dir, 'collector.yaml');
        writeFileSync(copy, JSON.stringify(raw));
        const config = parseCollectorConfig(copy, raw);
        expect(config.state, file).toMatchObject({ driver: 'postgres', url: raw.state.url, passwordFile: raw.state.passwordFile, poolSize: 10 });
        expect(config.influx.urls, file).toHaveLength(2);
        expect(config.http.trustedProxies, file).toEqual(['10.0.0.10']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the compose shell scripts parse (sh -n)', () => {
    for (const file of ['compose/pg-primary-init.sh', 'compose/pg-replica-entrypoint.sh']) {
      const r = spawnSync('sh', ['-n', join(HA, file)], { encoding: 'utf8', timeout: 10_000 });
      expect(r.status, `${file}: ${r.stderr}`).toBe(0);
    }
  });

  it('the systemd drop-in starts the collector after the local HAProxy and keeps trying through a failover', () => {
    const dropIn = read('systemd/canhgac-collector.service.d/ha.conf');
    expect(dropIn).toMatch(/^After=haproxy\.service$/m);
    expect(dropIn).toMatch(/^Wants=haproxy\.service$/m);
    expect(dropIn).toMatch(/^RestartPreventExitStatus=$/m);
    expect(dropIn).toMatch(/^Restart=always$/m);
  });

  const skipPostgres = missing({ postgres: true });
  it.skipIf(skipPostgres)("compose/pg-primary-init.sh makes the recipe's roles, database and files on a real cluster", async () => {
    const plain = await startPlainNode();
    try {
      const { node, dir, as } = plain;
      // The script, the secrets and the recipe beside the cluster, readable by the user it runs as.
      const secrets = join(dir, 'secrets');
      const recipe = join(dir, 'recipe');
      for (const d of [secrets, recipe]) mkdirSync(d, { mode: 0o700 });
      writeFileSync(join(secrets, 'pg_replicator_password'), 'replicator pw with spaces and a quote \'\n');
      writeFileSync(join(secrets, 'state_password'), 'state-pw\n');
      copyFileSync(join(HA, 'postgresql', 'pg_hba.conf'), join(recipe, 'pg_hba.conf'));
      copyFileSync(join(HA, 'postgresql', 'canhgac-replication.conf'), join(recipe, 'canhgac-replication.conf'));
      const script = join(dir, 'init.sh');
      copyFileSync(join(HA, 'compose', 'pg-primary-init.sh'), script);
      for (const f of [secrets, recipe, script, ...['pg_replicator_password', 'state_password'].map((n) => join(secrets, n)), ...['pg_hba.conf', 'canhgac-replication.conf'].map((n) => join(recipe, n))]) {
        if (as.uid !== undefined) chownSync(f, as.uid, as.gid!);
      }
      const env = { ...process.env, PGDATA: node.data, PGHOST: node.socketDir, PGPORT: String(node.port), CANHGAC_SECRETS_DIR: secrets, CANHGAC_RECIPE_DIR: recipe };
      const r = spawnSync('sh', [script], { env, ...as, cwd: dir, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr + r.stdout).toBe(0);

      const roles = await node.query<{ rolname: string; rolcanlogin: boolean; rolreplication: boolean; rolsuper: boolean; scram: boolean }>(
        "SELECT rolname, rolcanlogin, rolreplication, rolsuper, coalesce(rolpassword LIKE 'SCRAM-SHA-256$%', false) AS scram FROM pg_authid WHERE rolname IN ('replicator', 'canhgac', 'haproxy_check') ORDER BY rolname",
      );
      expect(roles).toEqual([
        { rolname: 'canhgac', rolcanlogin: true, rolreplication: false, rolsuper: false, scram: true },
        { rolname: 'haproxy_check', rolcanlogin: true, rolreplication: false, rolsuper: false, scram: false },
        { rolname: 'replicator', rolcanlogin: true, rolreplication: true, rolsuper: false, scram: true },
      ]);
      const [rights] = await node.query<Record<string, boolean>>(
        `SELECT has_database_privilege('canhgac', 'canhgac', 'CONNECT') AS app, has_database_privilege('haproxy_check', 'canhgac', 'CONNECT') AS check_role,
                (SELECT pg_get_userbyid(datdba) = 'canhgac' FROM pg_database WHERE datname = 'canhgac') AS owner,
                has_function_privilege('replicator', 'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)', 'EXECUTE') AS rewind`,
      );
      expect(rights).toEqual({ app: true, check_role: false, owner: true, rewind: true });
      // The rewritten pg_hba.conf and the included conf.d file, as the server parses them from disk.
      const hba = await node.query<{ type: string; database: string[]; user_name: string[]; address: string | null; auth_method: string; error: string | null }>(
        'SELECT type, database, user_name, address, auth_method, error FROM pg_hba_file_rules ORDER BY line_number',
      );
      expect(hba.filter((h) => h.error)).toEqual([]);
      expect(hba[0]).toMatchObject({ type: 'local', user_name: ['postgres'], auth_method: 'peer' });
      expect(hba.filter((h) => h.user_name[0] === 'canhgac').map((h) => h.address)).toEqual(['10.0.0.11', '10.0.0.12']);
      const settings = await node.query<{ name: string; error: string | null }>(`SELECT name, error FROM pg_file_settings WHERE sourcefile LIKE '%canhgac-replication.conf' OR error IS NOT NULL`);
      // "could not be applied": a setting that needs a restart (wal_log_hints, listen_addresses), not a fault.
      expect(settings.filter((x) => x.error && x.error !== 'setting could not be applied')).toEqual([]);
      expect(settings.map((x) => x.name)).toEqual(expect.arrayContaining(['wal_log_hints', 'tcp_keepalives_idle', 'synchronous_commit']));
    } finally {
      await plain.stop();
    }
  }, 60_000);

  const skip = missing({ commands: ['haproxy'] });
  it.skipIf(skip)('haproxy -c accepts haproxy-postgres.cfg', () => {
    const r = spawnSync('haproxy', ['-c', '-f', join(HA, 'haproxy-postgres.cfg')], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status, r.stderr + r.stdout).toBe(0);
  });
});
