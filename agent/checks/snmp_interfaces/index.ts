// The snmp_interfaces check: each router or switch polled over SNMP v2c or v3 (IF-MIB), one net_device
// sample per device and one net_interface sample per kept interface, with rates between two polls.
import { readFile } from 'node:fs/promises';
import type { FieldsOf } from '../../../protocol/index.ts';
import { parseDuration } from '../../../protocol/index.ts';
import { forEachLimited, resolveHost } from '../common/probe.ts';
import { loadStateFile, saveStateFile } from '../common/state-file.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { countersOf, ratesBetween, restarted, round, speedOf, usable, type DevicePoll } from './counters.ts';
import { interfaceFilter, tagSafe, type InterfaceFilter } from './filter.ts';
import { cleanText, openSession, readSystem, SnmpError, walkColumns, type Credentials, type Row } from './snmp.ts';
import { snmpInterfacesSpec, type DeviceConfig, type SnmpInterfacesConfig } from './spec.ts';

export const snmpInterfacesCheck = defineCheck({ ...snmpInterfacesSpec, run: runSnmpInterfaces });

/** Previous polls when there is no stateFile: kept for the life of the agent process. */
const memory = new Map<string, DevicePoll>();

interface SavedState {
  version: 1;
  devices: Record<string, DevicePoll>;
}

async function runSnmpInterfaces(config: SnmpInterfacesConfig, ctx: CheckContext): Promise<void> {
  const file = config.stateFile;
  const loaded = file ? loadStateFile<SavedState>(file, () => ({ version: 1, devices: {} }), acceptState) : undefined;
  if (loaded?.problem) ctx.log.warn('snmp_interfaces state not used', { problem: loaded.problem });
  const previous = (key: string) => (loaded ? loaded.state.devices[key] : memory.get(key));
  const current = new Map<string, DevicePoll>();
  const filter = interfaceFilter(config);
  const notStarted = await forEachLimited(config.devices, config.concurrency, ctx.signal, async (device) => {
    const key = deviceKey(device);
    const poll = await pollDevice(device, config, filter, previous(key), ctx);
    if (poll) current.set(key, poll);
  });
  if (notStarted > 0) ctx.log.warn('snmp_interfaces run stopped before every device was polled', { unpolled: notStarted });
  for (const [key, poll] of current) memory.set(key, poll);
  if (file && loaded) {
    // Devices no longer configured are dropped from the file; ones that failed this time keep their last poll.
    const keep = new Set(config.devices.map(deviceKey));
    const devices = Object.fromEntries(Object.entries(loaded.state.devices).filter(([k]) => keep.has(k)));
    for (const [key, poll] of current) devices[key] = poll;
    try {
      saveStateFile(file, { version: 1, devices } satisfies SavedState);
    } catch (err) {
      ctx.log.warn('snmp_interfaces state not saved', { file, error: (err as Error).message });
    }
  }
}

function acceptState(parsed: unknown): SavedState | undefined {
  const s = parsed as SavedState;
  return s && s.version === 1 && typeof s.devices === 'object' && s.devices !== null ? s : undefined;
}

function deviceKey(d: DeviceConfig): string {
  return `${d.name ?? d.host}@${d.host}:${d.port}`;
}

/** The first line of a file or an environment variable's value; a clear error without the secret. */
async function secret(file: string | undefined, env: string | undefined, key: string): Promise<string> {
  if (env) {
    const v = process.env[env];
    if (!v) throw new SnmpError(`the environment variable ${env} (${key}Env) is not set`, 'error');
    return v;
  }
  try {
    const line = (await readFile(file!, 'utf8')).split(/\r?\n/)[0].trim();
    if (!line) throw new SnmpError(`${file} (${key}File) is empty`, 'error');
    return line;
  } catch (err) {
    if (err instanceof SnmpError) throw err;
    throw new SnmpError(`cannot read ${file} (${key}File): ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'error');
  }
}

async function credentialsOf(d: DeviceConfig): Promise<Credentials> {
  if (String(d.version) !== '3') return { version: '2c', community: await secret(d.communityFile, d.communityEnv, 'community') };
  return {
    version: '3',
    user: d.user!,
    authProtocol: d.authProtocol,
    authKey: await secret(d.authKeyFile, d.authKeyEnv, 'authKey'),
    privProtocol: d.privProtocol,
    privKey: await secret(d.privKeyFile, d.privKeyEnv, 'privKey'),
  };
}

interface PollResult {
  poll: DevicePoll;
  rows: Map<number, Row>;
  sysDescr?: string;
  truncated: boolean;
  pollMs: number;
}

/** One reading of the system group and the interface tables within the check's timeout. */
async function readDevice(session: ReturnType<typeof openSession>, version: '2c' | '3', config: SnmpInterfacesConfig, signal: AbortSignal): Promise<PollResult> {
  const budget = AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]);
  const started = performance.now();
  const startedAt = Date.now();
  const system = await readSystem(session, version, budget);
  const walked = await walkColumns(session, version, { maxRows: config.maxInterfaces, maxRepetitions: config.maxRepetitions, signal: budget });
  const endedAt = Date.now();
  const poll: DevicePoll = { uptimeCs: system.uptimeCs ?? 0, atMs: Math.round((startedAt + endedAt) / 2), interfaces: {} };
  for (const [index, row] of walked.rows) {
    const counters = countersOf(nameOf(index, row), row);
    if (counters) poll.interfaces[String(index)] = counters;
  }
  return { poll, rows: walked.rows, sysDescr: system.sysDescr, truncated: walked.truncated, pollMs: round(performance.now() - started) };
}

function nameOf(index: number, row: Row): string {
  const n = typeof row.name === 'string' && row.name !== '' ? row.name : typeof row.descr === 'string' && row.descr !== '' ? row.descr : `ifIndex ${index}`;
  return cleanText(n, 64);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls one device (twice, `onceWindow` apart, when there is no usable previous poll) and records its
 * samples; any failure is a net_device sample with the reason. Returns the poll to remember.
 */
async function pollDevice(d: DeviceConfig, config: SnmpInterfacesConfig, filter: InterfaceFilter, saved: DevicePoll | undefined, ctx: CheckContext): Promise<DevicePoll | undefined> {
  const device = tagSafe(d.name ?? d.host);
  const fail = (result: 'timeout' | 'error', error: string) => ctx.recorder.record('net_device', { device, result }, { up: 0, error });
  let session: ReturnType<typeof openSession> | undefined;
  try {
    const credentials = await credentialsOf(d);
    const { address, family } = await resolveHost(d.host).catch(() => {
      throw new SnmpError(`the name ${d.host} does not resolve`, 'error');
    });
    session = openSession({ address, family, port: d.port, credentials, timeoutMs: config.timeoutMs });
    session.on('error', () => undefined);
    const version = credentials.version;
    const maxAgeMs = Math.max(3 * config.intervalMs, 600_000);
    let prev = usable(saved, Date.now(), maxAgeMs) ? saved : undefined;
    let cur = await readDevice(session, version, config, ctx.signal);
    if (!prev) {
      // No earlier counters (first run, `once`, a stale state): a second poll gives this run its rates.
      await sleep(parseDuration(config.onceWindow)!, ctx.signal);
      if (ctx.signal.aborted) return undefined;
      prev = cur.poll;
      cur = await readDevice(session, version, config, ctx.signal);
    }
    recordDevice(d, device, config, filter, prev, cur, ctx);
    return cur.poll;
  } catch (err) {
    if (ctx.signal.aborted && !(err instanceof SnmpError)) return undefined;
    if (err instanceof SnmpError) fail(err.result, err.message);
    else fail('error', cleanText((err as Error).message ?? String(err), 200));
    return undefined;
  } finally {
    try {
      session?.close();
    } catch {
      /* already closed */
    }
  }
}

type InterfaceFields = FieldsOf<'net_interface'>;

function recordDevice(d: DeviceConfig, device: string, config: SnmpInterfacesConfig, filter: InterfaceFilter, prev: DevicePoll, cur: PollResult, ctx: CheckContext): void {
  const rebooted = restarted(prev, cur.poll);
  const seconds = (cur.poll.atMs - prev.atMs) / 1000;
  const wan = new Set((d.wan ?? []).map((n) => n.toLowerCase()));
  const seen = new Map<string, number>();
  let kept = 0;
  for (const [index, row] of [...cur.rows].sort((a, b) => a[0] - b[0])) {
    const name = nameOf(index, row);
    const isWan = wan.has(name.toLowerCase());
    if (!filter.keep(name, typeof row.type === 'number' ? row.type : undefined, isWan)) continue;
    // Two interfaces with one name (it happens on some switches) stay two series.
    const dup = seen.get(name) ?? 0;
    seen.set(name, dup + 1);
    const iface = tagSafe(dup === 0 ? name : `${name} (${index})`);
    const fields = interfaceFields(row, cur.poll.uptimeCs);
    const a = prev.interfaces[String(index)];
    const b = cur.poll.interfaces[String(index)];
    const rates = !rebooted && a && b ? ratesBetween(a, b, seconds, fields.speed_bps) : undefined;
    if (rates) Object.assign(fields, rates, utilisation(rates, fields.speed_bps));
    ctx.recorder.record('net_interface', { device, interface: iface, wan: isWan ? '1' : undefined }, fields);
    kept++;
  }
  const fields: FieldsOf<'net_device'> = {
    up: 1,
    uptime_seconds: round(cur.poll.uptimeCs / 100, 2),
    interfaces: kept,
    interfaces_total: cur.rows.size,
    truncated: cur.truncated ? 1 : 0,
    rebooted: rebooted ? 1 : 0,
    poll_ms: cur.pollMs,
  };
  if (!rebooted) fields.rate_window_seconds = round(seconds);
  if (cur.sysDescr) fields.sys_descr = cur.sysDescr;
  ctx.recorder.record('net_device', { device, result: 'ok' }, fields);
  if (rebooted) ctx.log.info('device restarted since the previous poll: no rates this time', { device });
}

function interfaceFields(row: Row, uptimeCs: number): InterfaceFields {
  const admin = row.adminStatus === 1 ? 1 : 0;
  const oper = row.operStatus === 1 ? 1 : 0;
  const f: InterfaceFields = { oper_up: oper, admin_up: admin, link_down: admin === 1 && oper === 0 ? 1 : 0, counters_64bit: typeof row.hcInOctets === 'bigint' ? 1 : 0 };
  const speed = speedOf(row);
  if (speed !== undefined) f.speed_bps = speed;
  if (typeof row.lastChange === 'number' && row.lastChange <= uptimeCs) f.last_change_seconds = round((uptimeCs - row.lastChange) / 100, 2);
  if (typeof row.alias === 'string' && row.alias !== '') f.alias = cleanText(row.alias, 64);
  return f;
}

function utilisation(r: { in_bps: number; out_bps: number }, speed: number | undefined): Partial<InterfaceFields> {
  if (!speed) return {};
  return { in_utilisation_percent: round((r.in_bps / speed) * 100), out_utilisation_percent: round((r.out_bps / speed) * 100) };
}
