// SNMP reads of one router or switch for the snmp_interfaces check: a v2c or v3 (authPriv) session, the
// system group, and IF-MIB columns walked together with GETBULK, bounded in rows, requests and time.
import { createRequire } from 'node:module';

// net-snmp ships no type declarations; this is the part used here.
interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}
interface Session {
  get(oids: string[], cb: (err: Error | null, varbinds?: Varbind[]) => void): void;
  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: Error | null, varbinds?: Varbind[][]) => void): void;
  close(): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface NetSnmp {
  createSession(target: string, community: string, opts: Record<string, unknown>): Session;
  createV3Session(target: string, user: Record<string, unknown>, opts: Record<string, unknown>): Session;
  isVarbindError(vb: Varbind): boolean;
  Version2c: number;
  SecurityLevel: { authPriv: number };
  AuthProtocols: { sha: number; sha256: number };
  PrivProtocols: { aes: number };
  ObjectType: { EndOfMibView: number; NoSuchObject: number; NoSuchInstance: number };
}
const snmp = createRequire(import.meta.url)('net-snmp') as NetSnmp;

export const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';

const IF = '1.3.6.1.2.1.2.2.1';
const IFX = '1.3.6.1.2.1.31.1.1.1';

/** The IF-MIB columns read, by our name. */
export const COLUMNS = {
  descr: `${IF}.2`,
  type: `${IF}.3`,
  speed: `${IF}.5`,
  adminStatus: `${IF}.7`,
  operStatus: `${IF}.8`,
  lastChange: `${IF}.9`,
  inOctets: `${IF}.10`,
  inUcast: `${IF}.11`,
  inDiscards: `${IF}.13`,
  inErrors: `${IF}.14`,
  outOctets: `${IF}.16`,
  outUcast: `${IF}.17`,
  outDiscards: `${IF}.19`,
  outErrors: `${IF}.20`,
  name: `${IFX}.1`,
  hcInOctets: `${IFX}.6`,
  hcInUcast: `${IFX}.7`,
  hcOutOctets: `${IFX}.10`,
  hcOutUcast: `${IFX}.11`,
  highSpeed: `${IFX}.15`,
  alias: `${IFX}.18`,
  discontinuity: `${IFX}.19`,
} as const;
export type Column = keyof typeof COLUMNS;

/** One interface row: each column's raw value by our name (strings, numbers, or bigint for Counter64). */
export type Row = Partial<Record<Column, string | number | bigint>>;

export type Credentials =
  | { version: '2c'; community: string }
  | { version: '3'; user: string; authProtocol: 'sha' | 'sha256'; authKey: string; privProtocol: 'aes'; privKey: string };

export interface SnmpTarget {
  address: string;
  family: 4 | 6;
  port: number;
  credentials: Credentials;
  timeoutMs: number;
}

export class SnmpError extends Error {
  constructor(
    message: string,
    readonly result: 'timeout' | 'error',
  ) {
    super(message);
  }
}

/** Why a request failed, in words a network engineer acts on; never the community or a key. */
function explain(err: Error, version: '2c' | '3'): SnmpError {
  if (err.name === 'RequestTimedOutError') {
    return new SnmpError(version === '2c' ? 'no SNMP answer (the device is off, filtered, or the community is wrong)' : 'no SNMP answer (the device is off or filtered)', 'timeout');
  }
  const code = (err as { code?: number }).code;
  if (err.name === 'ResponseInvalidError' && /digest|unknown user|unsupported security|decryption|not in time/i.test(err.message)) {
    // net-snmp names the USM counter the agent reported (wrong digest, unknown user name, decryption error).
    const what = err.message.split(' (')[0].toLowerCase();
    return new SnmpError(`SNMP v3 authentication failed: ${what} (check the user name, both passwords and both protocols)`, 'error');
  }
  return new SnmpError(`${err.name}${code !== undefined ? ` ${code}` : ''}: ${err.message}`.slice(0, 200), 'error');
}

export function openSession(t: SnmpTarget): Session {
  const common = { port: t.port, retries: 1, timeout: Math.max(100, Math.floor(t.timeoutMs / 3)), transport: t.family === 6 ? 'udp6' : 'udp4', backwardsGetNexts: false };
  if (t.credentials.version === '2c') return snmp.createSession(t.address, t.credentials.community, { ...common, version: snmp.Version2c });
  const c = t.credentials;
  return snmp.createV3Session(
    t.address,
    {
      name: c.user,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols[c.authProtocol],
      authKey: c.authKey,
      privProtocol: snmp.PrivProtocols[c.privProtocol],
      privKey: c.privKey,
    },
    common,
  );
}

function call<T>(session: Session, version: '2c' | '3', signal: AbortSignal, start: (cb: (err: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new SnmpError('stopped', 'timeout'));
    const onAbort = () => reject(new SnmpError('the poll took longer than the timeout', 'timeout'));
    signal.addEventListener('abort', onAbort, { once: true });
    start((err, v) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(explain(err, version));
      else resolve(v as T);
    });
  });
}

/** sysUpTime (hundredths of a second) and sysDescr. */
export async function readSystem(session: Session, version: '2c' | '3', signal: AbortSignal): Promise<{ uptimeCs?: number; sysDescr?: string }> {
  const vbs = await call<Varbind[]>(session, version, signal, (cb) => session.get([SYS_UPTIME, SYS_DESCR], cb));
  const out: { uptimeCs?: number; sysDescr?: string } = {};
  for (const vb of vbs) {
    if (snmp.isVarbindError(vb)) continue;
    if (vb.oid === SYS_UPTIME && typeof vb.value === 'number') out.uptimeCs = vb.value;
    if (vb.oid === SYS_DESCR) out.sysDescr = cleanText(Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : String(vb.value), 256);
  }
  return out;
}

/** A device's text (sysDescr, ifAlias, ifName) as one bounded line without control characters. */
export function cleanText(s: string, max: number): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]+/g, ' ').replace(/ {2,}/g, ' ').trim().slice(0, max);
}

function valueOf(vb: Varbind): string | number | bigint | undefined {
  const v = vb.value;
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v)) {
    // Counter64 arrives as big-endian bytes; octet strings as bytes too (told apart by type 70).
    if (vb.type === 70) return v.length === 0 ? 0n : BigInt(`0x${v.subarray(0, 8).toString('hex')}`);
    return cleanText(v.subarray(0, 512).toString('utf8'), 255);
  }
  if (typeof v === 'bigint') return v;
  return v === null || v === undefined ? undefined : cleanText(String(v), 255);
}

export interface Walked {
  rows: Map<number, Row>;
  /** Interfaces listed by ifDescr/ifType (the device's ifTable), before maxRows cut the walk. */
  truncated: boolean;
  requests: number;
}

/**
 * Every column walked side by side with GETBULK (the request carries each column's last OID, so each
 * answer fills up to `maxRepetitions` rows of every column that is not finished). A column ends at the
 * first OID outside it; the walk ends when all have, after `maxRows` rows or `maxRequests` requests.
 */
export async function walkColumns(session: Session, version: '2c' | '3', opts: { maxRows: number; maxRepetitions: number; signal: AbortSignal }): Promise<Walked> {
  const names = Object.keys(COLUMNS) as Column[];
  const last = new Map<Column, string>(names.map((n) => [n, COLUMNS[n]]));
  const counts = new Map<Column, number>(names.map((n) => [n, 0]));
  const rows = new Map<number, Row>();
  let truncated = false;
  let requests = 0;
  // Every answer moves each unfinished column on by at least one row.
  const maxRequests = opts.maxRows + 10;
  while (last.size > 0 && requests < maxRequests) {
    const active = [...last.keys()];
    requests++;
    const table = await call<Varbind[][]>(session, version, opts.signal, (cb) => session.getBulk(active.map((c) => last.get(c)!), 0, opts.maxRepetitions, cb));
    active.forEach((col, i) => {
      const prefix = `${COLUMNS[col]}.`;
      const got = table[i] ?? [];
      if (got.length === 0) return last.delete(col);
      for (const vb of got) {
        if (snmp.isVarbindError(vb) || !vb.oid.startsWith(prefix)) return last.delete(col);
        const index = Number(vb.oid.slice(prefix.length));
        // IF-MIB rows are indexed by one integer; anything else is not an interface row.
        if (!Number.isInteger(index) || index < 1 || index > 2 ** 31) return last.delete(col);
        const n = counts.get(col)! + 1;
        counts.set(col, n);
        if (n > opts.maxRows) {
          truncated = true;
          return last.delete(col);
        }
        let row = rows.get(index);
        if (!row) {
          if (rows.size >= opts.maxRows) continue;
          row = {};
          rows.set(index, row);
        }
        const value = valueOf(vb);
        if (value !== undefined) row[col] = value;
        last.set(col, vb.oid);
      }
    });
  }
  if (last.size > 0) truncated = true;
  return { rows, truncated, requests };
}
