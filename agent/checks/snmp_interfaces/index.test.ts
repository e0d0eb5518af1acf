// The snmp_interfaces check against Debian's snmpd in a network namespace whose interfaces are veth pairs:
// rates against the kernel's own counters, a link taken down, snmpd restarted between polls, v3 authPriv
// and a wrong v3 password, bounds, one bad device among good ones; and the rate arithmetic on its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { AGENT_BIN, runCli, writeYaml } from '../../../test/support/agent.ts';
import { missing } from '../../../test/support/require.ts';
import { createSnmpDevice, type SnmpDevice } from '../../../test/support/snmp-device.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { ratesBetween, restarted, type IfCounters } from './counters.ts';
import { globMatch } from './filter.ts';
import { snmpInterfacesCheck } from './index.ts';

// Network safety: the check polls 127.0.0.1 (a relay into the test's namespace); traffic flows only
// between veth ends inside namespaces this file creates.

const counters = (o: Partial<IfCounters>): IfCounters => ({
  name: 'ge1',
  hc: true,
  inOctets: '0',
  outOctets: '0',
  inUcast: '0',
  outUcast: '0',
  inErrors: '0',
  outErrors: '0',
  inDiscards: '0',
  outDiscards: '0',
  discontinuity: '0',
  ...o,
});

describe('snmp_interfaces arithmetic', () => {
  it('computes bits per second from octets, and handles one 32-bit wrap', () => {
    expect(ratesBetween(counters({ inOctets: '1000' }), counters({ inOctets: '126000' }), 10, 1e9)!.in_bps).toBe(100_000);
    const wrapped = ratesBetween(counters({ hc: false, inOctets: String(2 ** 32 - 1000) }), counters({ hc: false, inOctets: '24000' }), 10, 1e9)!;
    expect(wrapped.in_bps).toBe(20_000);
  });

  it('gives no rate for a 64-bit counter going back, a discontinuity, another interface under the index, or a rate above twice the speed', () => {
    expect(ratesBetween(counters({ inOctets: '5000' }), counters({ inOctets: '10' }), 10, 1e9)).toBeUndefined();
    expect(ratesBetween(counters({ discontinuity: '0' }), counters({ discontinuity: '4711' }), 10, 1e9)).toBeUndefined();
    expect(ratesBetween(counters({ name: 'ge1' }), counters({ name: 'ge9' }), 10, 1e9)).toBeUndefined();
    // A 32-bit counter reset read as a wrap would be 3.4 Gb/s on a 100 Mb/s port.
    expect(ratesBetween(counters({ hc: false, inOctets: '5000' }), counters({ hc: false, inOctets: '10' }), 10, 1e8)).toBeUndefined();
  });

  it('tells a restarted agent from one whose sysUpTime wrapped', () => {
    const at = 1_800_000_000_000;
    expect(restarted({ uptimeCs: 500_000, atMs: at, interfaces: {} }, { uptimeCs: 501_000, atMs: at + 10_000, interfaces: {} })).toBe(false);
    expect(restarted({ uptimeCs: 500_000, atMs: at, interfaces: {} }, { uptimeCs: 300, atMs: at + 10_000, interfaces: {} })).toBe(true);
    expect(restarted({ uptimeCs: 2 ** 32 - 500, atMs: at, interfaces: {} }, { uptimeCs: 500, atMs: at + 10_000, interfaces: {} })).toBe(false);
  });

  it('matches * and ? without a regular expression, in linear steps on hostile names', () => {
    expect(globMatch('Gi*', 'GigabitEthernet0/1')).toBe(true);
    expect(globMatch('ge?', 'ge1')).toBe(true);
    expect(globMatch('ge?', 'ge10')).toBe(false);
    expect(globMatch('*vlan*', 'Vlan100')).toBe(true);
    const started = performance.now();
    expect(globMatch('*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

const skip = missing({ root: true, commands: ['snmpd', 'snmpget', 'socat', 'ip'] });

describe.skipIf(skip)('snmp_interfaces against snmpd in a namespace', () => {
  let dev: SnmpDevice;
  let dir: string;
  beforeAll(async () => {
    dev = await createSnmpDevice({ links: 3 });
    dir = mkdtempSync(join(tmpdir(), 'canhgac-snmp-'));
    writeFileSync(join(dir, 'community'), `${dev.community}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'auth'), `${dev.v3.authKey}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'priv'), `${dev.v3.privKey}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'wrong'), 'not-the-password\n', { mode: 0o600 });
  }, 60_000);
  afterAll(async () => {
    await dev?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const v2 = () => ({ host: '127.0.0.1', port: dev.port, name: 'router-tinh', version: '2c', communityFile: join(dir, 'community'), wan: ['ge1'] });
  const v3 = (authFile = 'auth') => ({ host: '127.0.0.1', port: dev.port, name: 'router-v3', version: 3, user: dev.v3.user, authProtocol: 'sha256', authKeyFile: join(dir, authFile), privProtocol: 'aes', privKeyFile: join(dir, 'priv') });

  async function run(devices: object[], extra: Record<string, unknown> = {}, logs: string[] = []): Promise<WireSample[]> {
    const recorder = new SampleRecorder();
    const config = {
      type: 'snmp_interfaces',
      interval: '60s',
      timeout: '3s',
      intervalMs: 60_000,
      timeoutMs: 3000,
      maxInterfaces: 1000,
      maxRepetitions: 20,
      onceWindow: '1s',
      concurrency: 8,
      devices: devices.map((d) => ({ port: 161, version: '2c', authProtocol: 'sha256', privProtocol: 'aes', ...d })),
      ...extra,
    };
    expect(snmpInterfacesCheck.validate!(config as never, 'checks[0]')).toEqual([]);
    await snmpInterfacesCheck.run(config as never, { recorder, signal: new AbortController().signal, log: createLogger({ write: (l: string) => logs.push(l) } as never) });
    for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
    return recorder.samples;
  }
  const iface = (samples: WireSample[], name: string) => samples.find((s) => s.measurement === 'net_interface' && s.tags.interface === name)!;
  const deviceOf = (samples: WireSample[]) => samples.find((s) => s.measurement === 'net_device')!;

  it('reports each veth interface (loopback left out) with the device, and rates on the first run', async () => {
    const samples = await run([v2()]);
    expect(deviceOf(samples).tags).toEqual({ device: 'router-tinh', result: 'ok' });
    expect(deviceOf(samples).fields).toMatchObject({ up: 1, interfaces: 3, interfaces_total: 4, truncated: 0, rebooted: 0, sys_descr: 'Canh Gac test router (snmpd in a network namespace)' });
    expect(samples.filter((s) => s.measurement === 'net_interface').map((s) => s.tags.interface)).toEqual(['ge1', 'ge2', 'ge3']);
    expect(iface(samples, 'ge1').tags.wan).toBe('1');
    expect(iface(samples, 'ge2').tags.wan).toBeUndefined();
    expect(iface(samples, 'ge1').fields).toMatchObject({ oper_up: 1, admin_up: 1, link_down: 0, counters_64bit: 1, speed_bps: 10_000_000_000 });
    expect(iface(samples, 'ge1').fields.in_bps).toBeGreaterThanOrEqual(0);
  });

  it('rates agree with the kernel counters over the same window within 2 %', async () => {
    const state = join(dir, 'rates.json');
    const link = dev.links[1];
    await run([v2()], { stateFile: state });
    const k1 = { rx: dev.kernelCounter(link.ifName, 'rx_bytes'), tx: dev.kernelCounter(link.ifName, 'tx_bytes') };
    // 24 MB from the neighbour into ge2 and 6 MB out of it, each one bounded socat transfer.
    dev.spawnIn(dev.ns, ['socat', '-u', `TCP-LISTEN:5001,bind=${link.routerIp},reuseaddr`, 'OPEN:/dev/null']);
    dev.spawnIn(link.neighbourNs, ['socat', '-u', `TCP-LISTEN:5002,bind=${link.neighbourIp},reuseaddr`, 'OPEN:/dev/null']);
    await new Promise((r) => setTimeout(r, 300));
    expect(dev.run(link.neighbourNs, ['sh', '-c', `head -c 24000000 /dev/zero | socat -u - TCP:${link.routerIp}:5001`]).code).toBe(0);
    expect(dev.run(dev.ns, ['sh', '-c', `head -c 6000000 /dev/zero | socat -u - TCP:${link.neighbourIp}:5002`]).code).toBe(0);
    // snmpd caches the interface table for about 3 s: the next poll must come after that, with the link idle.
    await new Promise((r) => setTimeout(r, 3500));
    const samples = await run([v2()], { stateFile: state });
    const k2 = { rx: dev.kernelCounter(link.ifName, 'rx_bytes'), tx: dev.kernelCounter(link.ifName, 'tx_bytes') };
    const window = Number(deviceOf(samples).fields.rate_window_seconds);
    const f = iface(samples, link.ifName).fields;
    const kernelIn = ((k2.rx - k1.rx) * 8) / window;
    const kernelOut = ((k2.tx - k1.tx) * 8) / window;
    expect(k2.rx - k1.rx).toBeGreaterThan(24_000_000);
    expect(Math.abs(Number(f.in_bps) - kernelIn) / kernelIn).toBeLessThan(0.02);
    expect(Math.abs(Number(f.out_bps) - kernelOut) / kernelOut).toBeLessThan(0.02);
    expect(Number(f.in_utilisation_percent)).toBeCloseTo((Number(f.in_bps) / 1e10) * 100, 3);
    expect(Number(f.in_unicast_packets_per_s)).toBeGreaterThan(0);
  }, 30_000);

  it('a link taken down is oper_up=0 while admin up (link_down=1); back up, it is up again', async () => {
    const link = dev.links[2];
    expect(dev.run(link.neighbourNs, ['ip', 'link', 'set', 'e0', 'down']).code).toBe(0);
    try {
      await new Promise((r) => setTimeout(r, 3500));
      const down = iface(await run([v2()]), link.ifName);
      expect(down.fields).toMatchObject({ oper_up: 0, admin_up: 1, link_down: 1 });
      expect(Number(down.fields.last_change_seconds)).toBeLessThan(10);
    } finally {
      dev.run(link.neighbourNs, ['ip', 'link', 'set', 'e0', 'up']);
    }
    await new Promise((r) => setTimeout(r, 3500));
    expect(iface(await run([v2()]), link.ifName).fields).toMatchObject({ oper_up: 1, link_down: 0 });
  }, 30_000);

  it('snmpd restarted between two polls gives no rate (rebooted=1), never a spike; the next poll has rates again', async () => {
    const state = join(dir, 'restart.json');
    await run([v2()], { stateFile: state });
    await dev.stopSnmpd();
    await dev.startSnmpd();
    const after = await run([v2()], { stateFile: state });
    expect(deviceOf(after).fields).toMatchObject({ up: 1, rebooted: 1 });
    expect(deviceOf(after).fields.rate_window_seconds).toBeUndefined();
    for (const s of after.filter((x) => x.measurement === 'net_interface')) expect(s.fields.in_bps).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1000));
    const next = await run([v2()], { stateFile: state });
    expect(deviceOf(next).fields.rebooted).toBe(0);
    expect(Number(iface(next, 'ge1').fields.in_bps)).toBeLessThan(1_000_000);
  }, 30_000);

  it('SNMP v3 authPriv (SHA-256, AES) reads the same interfaces; a wrong v3 password is result=error with the reason', async () => {
    const ok = await run([v3()]);
    expect(deviceOf(ok).tags).toEqual({ device: 'router-v3', result: 'ok' });
    expect(ok.filter((s) => s.measurement === 'net_interface')).toHaveLength(3);
    const wrong = await run([v3('wrong')]);
    expect(deviceOf(wrong).tags.result).toBe('error');
    expect(deviceOf(wrong).fields.up).toBe(0);
    expect(deviceOf(wrong).fields.error).toBe('SNMP v3 authentication failed: wrong digest (check the user name, both passwords and both protocols)');
  }, 30_000);

  it('one device that does not answer never stops the others; bounds cut the walk and say so', async () => {
    const samples = await run([v2(), { host: '127.0.0.1', port: 9, name: 'router-tat', version: '2c', communityFile: join(dir, 'community') }], { maxInterfaces: 2, timeout: '1s', timeoutMs: 1000 });
    const byDevice = Object.fromEntries(samples.filter((s) => s.measurement === 'net_device').map((s) => [s.tags.device, s]));
    expect(byDevice['router-tat'].tags.result).toBe('timeout');
    expect(byDevice['router-tat'].fields).toEqual({ up: 0, error: 'no SNMP answer (the device is off, filtered, or the community is wrong)' });
    expect(byDevice['router-tinh'].fields).toMatchObject({ up: 1, interfaces_total: 2, truncated: 1 });
  }, 30_000);

  it('include/exclude patterns and types pick the interfaces; WAN links are always kept', async () => {
    const only = await run([v2()], { include: ['ge2'] });
    expect(only.filter((s) => s.measurement === 'net_interface').map((s) => s.tags.interface)).toEqual(['ge1', 'ge2']);
    const withLo = await run([v2()], { exclude: ['ge*'], excludeTypes: [] });
    expect(withLo.filter((s) => s.measurement === 'net_interface').map((s) => s.tags.interface)).toEqual(['lo', 'ge1']);
  }, 30_000);

  it('the community never appears in the output or the log of `canhgac-agent once`, whether it is right or wrong', async () => {
    writeFileSync(join(dir, 'bad-community'), 'sai-community-1234\n', { mode: 0o600 });
    const file = writeYaml(join(dir, 'agent.yaml'), {
      agent: { logLevel: 'debug' },
      checks: [
        { type: 'snmp_interfaces', timeout: '2s', onceWindow: '1s', devices: [v2(), { host: '127.0.0.1', port: dev.port, name: 'sai-community', communityFile: join(dir, 'bad-community') }] },
      ],
    });
    const r = await runCli(AGENT_BIN, ['once', '--config', file, '--json'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const samples = JSON.parse(r.stdout) as WireSample[];
    expect(samples.filter((s) => s.measurement === 'net_device').map((s) => [s.tags.device, s.tags.result])).toEqual([
      ['router-tinh', 'ok'],
      ['sai-community', 'timeout'],
    ]);
    if (process.env.CANHGAC_PRINT_EXAMPLE) console.log(samples.map((s) => JSON.stringify(s)).join('\n'));
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(dev.community);
      expect(text).not.toContain('sai-community-1234');
    }
  }, 40_000);
});
