// SNMP v2c reads of a video-conference unit for the videoconf check (sysUpTime, sysDescr), and the
// reboot test against the previous run's uptime.
import { createRequire } from 'node:module';
import { resultOfError, type Result } from '../../../protocol/index.ts';
import { resolveHost } from '../common/probe.ts';

// net-snmp ships no type declarations; this is the part used here.
interface SnmpVarbind {
  oid: string;
  type: number;
  value: unknown;
}
interface SnmpSession {
  get(oids: string[], cb: (err: Error | null, varbinds?: SnmpVarbind[]) => void): void;
  close(): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface NetSnmp {
  createSession(target: string, community: string, opts: Record<string, unknown>): SnmpSession;
  isVarbindError(vb: SnmpVarbind): boolean;
  Version2c: number;
}
const snmp = createRequire(import.meta.url)('net-snmp') as NetSnmp;

export const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';

/** sysUpTime is a 32-bit count of hundredths of a second: it wraps after about 497 days. */
const WRAP_SECONDS = 2 ** 32 / 100;

export interface SnmpSystem {
  result: Result;
  up: 0 | 1;
  uptimeSeconds?: number;
  sysDescr?: string;
  detail?: string;
}

/** One GET within `timeoutMs` (a wrong community looks like a timeout); undefined when `signal` aborted it. */
export async function snmpSystem(host: string, port: number, community: string, timeoutMs: number, signal: AbortSignal): Promise<SnmpSystem | undefined> {
  let address: string;
  let family: 4 | 6;
  try {
    ({ address, family } = await resolveHost(host));
  } catch (err) {
    return signal.aborted ? undefined : { result: resultOfError(err), up: 0, detail: 'name does not resolve' };
  }
  if (signal.aborted) return undefined;
  return new Promise((resolve) => {
    // Two tries inside the budget: SNMP is UDP and one lost datagram should not mark a unit down.
    const session = snmp.createSession(address, community, {
      port,
      version: snmp.Version2c,
      retries: 1,
      timeout: Math.max(50, Math.floor(timeoutMs / 2)),
      transport: family === 6 ? 'udp6' : 'udp4',
    });
    let done = false;
    const finish = (r: SnmpSystem | undefined) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      try {
        session.close();
      } catch {
        /* already closed */
      }
      resolve(r);
    };
    const onAbort = () => finish(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    session.on('error', (err) => finish({ result: resultOfError(err), up: 0, detail: err.message }));
    session.get([SYS_UPTIME, SYS_DESCR], (err, varbinds) => {
      if (err) {
        const timedOut = err.name === 'RequestTimedOutError';
        return finish({ result: timedOut ? 'timeout' : resultOfError(err), up: 0, detail: timedOut ? 'no SNMP answer (or a wrong community)' : err.message });
      }
      const out: SnmpSystem = { result: 'ok', up: 1 };
      for (const vb of varbinds ?? []) {
        if (snmp.isVarbindError(vb)) continue;
        if (vb.oid === SYS_UPTIME && typeof vb.value === 'number') out.uptimeSeconds = Math.floor(vb.value / 100);
        if (vb.oid === SYS_DESCR) out.sysDescr = cleanText(Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : String(vb.value));
      }
      finish(out);
    });
  });
}

/** sysDescr often spans lines ("Cisco IOS ...\r\nTechnical Support: ..."): one line, bounded. */
export function cleanText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 256);
}

export interface UptimeReading {
  uptimeSeconds: number;
  /** Date.now() of the reading. */
  atMs: number;
}

/**
 * Whether the unit restarted between two readings: without a restart the uptime has grown by the
 * time that passed (less a small allowance for clock drift and the agent's own delays), modulo
 * the 32-bit wrap.
 */
export function restartedBetween(prev: UptimeReading, cur: UptimeReading): boolean {
  const elapsed = Math.max(0, (cur.atMs - prev.atMs) / 1000);
  const expected = (prev.uptimeSeconds + elapsed) % WRAP_SECONDS;
  // Both readings are floored to whole seconds (up to 2 s lost); clocks drift a little over long gaps.
  const allowance = 2 + elapsed * 0.005;
  let shortfall = expected - cur.uptimeSeconds;
  // Just after a wrap the expected value is small and the reading large (or the reverse).
  if (shortfall > WRAP_SECONDS / 2) shortfall -= WRAP_SECONDS;
  if (shortfall < -WRAP_SECONDS / 2) shortfall += WRAP_SECONDS;
  return shortfall > allowance;
}

/** The previous reading per endpoint, kept in memory for the life of the agent process. */
export class UptimeMemory {
  private readonly last = new Map<string, UptimeReading>();

  /** Records `cur` and says whether the unit restarted since the previous reading (undefined: none yet). */
  observe(key: string, cur: UptimeReading): boolean | undefined {
    const prev = this.last.get(key);
    this.last.set(key, cur);
    return prev ? restartedBetween(prev, cur) : undefined;
  }
}
