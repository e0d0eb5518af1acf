// Reads a router's ARP table over SNMP (v2c or v3), so discovery sees devices behind the router, and
// tests whether a device accepts an SNMP community; wraps the untyped net-snmp package.
import { createRequire } from 'node:module';
import { normaliseMac, type Neighbour, type NeighbourState } from './neighbour-parse.ts';

/** The little of net-snmp this module uses (the package ships no types). */
interface Varbind {
  oid: string;
  value: unknown;
}
interface SnmpSession {
  subtree(oid: string, maxRepetitions: number, feed: (vbs: Varbind[]) => boolean | void, done: (err: Error | null) => void): void;
  get(oids: string[], cb: (err: Error | null, vbs: Varbind[]) => void): void;
  close(): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface SnmpLib {
  Version2c: number;
  SecurityLevel: Record<'noAuthNoPriv' | 'authNoPriv' | 'authPriv', number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  createSession(host: string, community: string, opts: Record<string, unknown>): SnmpSession;
  createV3Session(host: string, user: Record<string, unknown>, opts: Record<string, unknown>): SnmpSession;
  isVarbindError(vb: Varbind): boolean;
}
const snmp = createRequire(import.meta.url)('net-snmp') as SnmpLib;

export interface SnmpTarget {
  host: string;
  port: number;
  version: '2c' | '3';
  community?: string;
  user?: { name: string; authProtocol?: string; authKey?: string; privProtocol?: string; privKey?: string };
}

// The protocol names are part of the config schema, so they live in spec.ts.
export { AUTH_PROTOCOLS, PRIV_PROTOCOLS } from './spec.ts';

const IP_NET_TO_MEDIA_PHYS = '1.3.6.1.2.1.4.22.1.2';
const IP_NET_TO_MEDIA_TYPE = '1.3.6.1.2.1.4.22.1.4';
const IP_NET_TO_PHYSICAL_PHYS = '1.3.6.1.2.1.4.35.1.4';
const IP_NET_TO_PHYSICAL_STATE = '1.3.6.1.2.1.4.35.1.7';
const IP_AD_ENT_IF_INDEX = '1.3.6.1.2.1.4.20.1.2';
const IF_PHYS_ADDRESS = '1.3.6.1.2.1.2.2.1.6';
const SYS_DESCR = '1.3.6.1.2.1.1.1.0';

function openSession(t: SnmpTarget, timeoutMs: number, retries: number): SnmpSession {
  const opts = { port: t.port, timeout: timeoutMs, retries, version: snmp.Version2c, idBitsSize: 32 };
  if (t.version === '3' && t.user) {
    const u = t.user;
    const level = u.privKey ? snmp.SecurityLevel.authPriv : u.authKey ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.noAuthNoPriv;
    return snmp.createV3Session(
      t.host,
      {
        name: u.name,
        level,
        authProtocol: snmp.AuthProtocols[u.authProtocol ?? 'sha'],
        authKey: u.authKey,
        privProtocol: snmp.PrivProtocols[u.privProtocol ?? 'aes'],
        privKey: u.privKey,
      },
      opts,
    );
  }
  return snmp.createSession(t.host, t.community ?? '', opts);
}

function walk(session: SnmpSession, oid: string, signal: AbortSignal): Promise<Varbind[]> {
  return new Promise((resolve, reject) => {
    const got: Varbind[] = [];
    // Bounded: a router with a runaway table stops at 100,000 entries.
    session.subtree(
      oid,
      20,
      (vbs) => {
        for (const vb of vbs) if (!snmp.isVarbindError(vb)) got.push(vb);
        return signal.aborted || got.length > 100_000;
      },
      (err) => (err ? reject(err) : resolve(got)),
    );
  });
}

/** `1.3.6.1.2.1.4.22.1.2.5.10.0.0.7` → `10.0.0.7` (the last four sub-identifiers). */
function ipFromIndex(oid: string): string {
  return oid.split('.').slice(-4).join('.');
}

function macOf(value: unknown): string | undefined {
  if (!Buffer.isBuffer(value) || value.length !== 6) return undefined;
  return normaliseMac([...value].map((b) => b.toString(16).padStart(2, '0')).join(':'));
}

// ipNetToPhysicalState: reachable(1) stale(2) delay(3) probe(4) invalid(5) unknown(6) incomplete(7)
const PHYSICAL_STATES: Record<number, NeighbourState> = { 1: 'reachable', 2: 'stale', 3: 'stale', 4: 'stale', 5: 'failed', 6: 'unknown', 7: 'failed' };

export interface RouterTable {
  neighbours: Neighbour[];
  /** The router's own interface addresses and their MACs (not in its ARP table). */
  own: Neighbour[];
}

/**
 * The router's ARP table: ipNetToPhysicalTable (RFC 4293, with reachability) when it has one, else
 * ipNetToMediaTable (RFC 1213). A wrong community or user looks like a timeout, and is reported as one.
 */
export async function readRouterTable(target: SnmpTarget, timeoutMs: number, signal: AbortSignal): Promise<RouterTable> {
  const session = openSession(target, timeoutMs, 1);
  session.on('error', () => undefined);
  try {
    const byIp = new Map<string, Neighbour>();
    const physical = await walk(session, IP_NET_TO_PHYSICAL_PHYS, signal);
    if (physical.length > 0) {
      const states = new Map<string, number>();
      for (const vb of await walk(session, IP_NET_TO_PHYSICAL_STATE, signal)) states.set(vb.oid.slice(IP_NET_TO_PHYSICAL_STATE.length), Number(vb.value));
      for (const vb of physical) {
        const suffix = vb.oid.slice(IP_NET_TO_PHYSICAL_PHYS.length);
        // Index: ifIndex.addressType(1 = ipv4).length(4).a.b.c.d
        const parts = suffix.split('.').filter(Boolean);
        if (parts.length !== 7 || parts[1] !== '1' || parts[2] !== '4') continue;
        const mac = macOf(vb.value);
        const state = PHYSICAL_STATES[states.get(suffix) ?? 6] ?? 'unknown';
        if (mac && state !== 'failed') byIp.set(ipFromIndex(vb.oid), { ip: ipFromIndex(vb.oid), mac, state });
      }
    } else {
      const invalid = new Set<string>();
      for (const vb of await walk(session, IP_NET_TO_MEDIA_TYPE, signal)) if (Number(vb.value) === 2) invalid.add(ipFromIndex(vb.oid));
      for (const vb of await walk(session, IP_NET_TO_MEDIA_PHYS, signal)) {
        const ip = ipFromIndex(vb.oid);
        const mac = macOf(vb.value);
        if (mac && !invalid.has(ip)) byIp.set(ip, { ip, mac, state: 'unknown' });
      }
    }
    const ifMacs = new Map<string, string>();
    for (const vb of await walk(session, IF_PHYS_ADDRESS, signal)) {
      const mac = macOf(vb.value);
      if (mac) ifMacs.set(vb.oid.slice(IF_PHYS_ADDRESS.length + 1), mac);
    }
    const own: Neighbour[] = [];
    for (const vb of await walk(session, IP_AD_ENT_IF_INDEX, signal)) {
      const mac = ifMacs.get(String(vb.value));
      if (mac) own.push({ ip: ipFromIndex(vb.oid), mac, state: 'unknown' });
    }
    return { neighbours: [...byIp.values()], own };
  } finally {
    session.close();
  }
}

/** True when the device answers an SNMP v2c GET of sysDescr with `community`. */
export function snmpCommunityAccepted(host: string, port: number, community: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const session = openSession({ host, port, version: '2c', community }, timeoutMs, 0);
    session.on('error', () => undefined);
    const onAbort = () => done(false);
    const done = (ok: boolean) => {
      signal.removeEventListener('abort', onAbort);
      try {
        session.close();
      } catch {
        // already closed
      }
      resolve(ok);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    session.get([SYS_DESCR], (err, vbs) => done(!err && vbs.length > 0 && !snmp.isVarbindError(vbs[0])));
  });
}
