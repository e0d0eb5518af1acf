/**
 * Pure parsers for the neighbour (ARP) tables of Linux and Windows. Nothing here matches a word:
 * Windows translates `arp -a` (Vietnamese: "Giao diện", "Địa chỉ Internet", "động") and prints it in
 * the console code page, so an entry is any line holding an IPv4 address followed by a MAC address.
 */

export type NeighbourState = 'reachable' | 'stale' | 'failed' | 'permanent' | 'unknown';

export interface Neighbour {
  ip: string;
  /** Lower case, colon separated; absent when the entry has no link-layer address (failed, incomplete). */
  mac?: string;
  /** `reachable`: the OS confirmed the neighbour recently; `unknown`: the source does not say. */
  state: NeighbourState;
  /** Seconds since the OS last confirmed the neighbour (Linux `ip -s neigh`), when known. */
  confirmedAgoS?: number;
}

const IPV4 = String.raw`(\d{1,3}(?:\.\d{1,3}){3})`;
const MAC = String.raw`([0-9A-Fa-f]{1,2}(?:[:-][0-9A-Fa-f]{1,2}){5})`;

/** `00-1A-2b-3:4:5` → `00:1a:2b:03:04:05`; undefined for all-zero, broadcast and multicast addresses. */
export function normaliseMac(text: string): string | undefined {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  const bytes = parts.map((p) => parseInt(p, 16));
  if (bytes.every((b) => b === 0)) return undefined;
  // The group bit covers broadcast (ff:ff:…) and IPv4 multicast (01:00:5e:…).
  if ((bytes[0] & 1) === 1) return undefined;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const LINUX_STATES: Record<string, NeighbourState> = {
  REACHABLE: 'reachable',
  STALE: 'stale',
  DELAY: 'stale',
  PROBE: 'stale',
  FAILED: 'failed',
  INCOMPLETE: 'failed',
  PERMANENT: 'permanent',
  NOARP: 'permanent',
};

/**
 * `ip -s -4 neigh show`: `10.0.0.5 dev eth0 lladdr 02:00:00:00:00:05 [router] ref 1 used 1/1/1probes 4 REACHABLE`
 * (`used` is seconds since used/confirmed/updated; iproute2 writes `probes` without a space before it).
 */
export function parseIpNeigh(output: string): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of output.split(/\r?\n/)) {
    const ip = new RegExp(`^${IPV4}\\s`).exec(line)?.[1];
    if (!ip) continue;
    const lladdr = /\slladdr\s+(\S+)/.exec(line)?.[1];
    const stateWord = /\b(REACHABLE|STALE|DELAY|PROBE|FAILED|INCOMPLETE|PERMANENT|NOARP|NONE)\s*$/.exec(line.trim())?.[1];
    const state = (stateWord && LINUX_STATES[stateWord]) || 'unknown';
    const mac = lladdr ? normaliseMac(lladdr) : undefined;
    const confirmed = /\sused \d+\/(\d+)\/\d+/.exec(line)?.[1];
    const entry: Neighbour = mac && state !== 'failed' ? { ip, mac, state } : { ip, state: mac ? state : 'failed' };
    if (confirmed !== undefined) entry.confirmedAgoS = Number(confirmed);
    out.push(entry);
  }
  return out;
}

/** `/proc/net/arp`: flag 0x2 (ATF_COM) marks a resolved entry; it carries no reachability. */
export function parseProcNetArp(output: string): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of output.split(/\r?\n/).slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 6) continue;
    const [ip, , flags, hw] = cols;
    if (!new RegExp(`^${IPV4}$`).test(ip)) continue;
    const complete = (parseInt(flags, 16) & 0x2) !== 0;
    const mac = complete ? normaliseMac(hw) : undefined;
    const permanent = (parseInt(flags, 16) & 0x4) !== 0;
    out.push(mac ? { ip, mac, state: permanent ? 'permanent' : 'unknown' } : { ip, state: 'failed' });
  }
  return out;
}

/**
 * Windows `arp -a` in any display language. The type column ("dynamic", "động", "static", "tĩnh")
 * is not read: broadcast and multicast entries, the usual static ones, are dropped by their MAC.
 */
export function parseArpA(output: string): Neighbour[] {
  const out: Neighbour[] = [];
  const entry = new RegExp(`^\\s*${IPV4}\\s+${MAC}(?:\\s|$)`);
  for (const line of output.split(/\r?\n/)) {
    const m = entry.exec(line);
    if (!m) continue;
    const mac = normaliseMac(m[2]);
    if (mac) out.push({ ip: m[1], mac, state: 'unknown' });
  }
  return out;
}

const WINDOWS_STATES: Record<string, NeighbourState> = {
  unreachable: 'failed',
  incomplete: 'failed',
  probe: 'stale',
  delay: 'stale',
  stale: 'stale',
  reachable: 'reachable',
  permanent: 'permanent',
};
// Get-NetNeighbor's State enum, for a ConvertTo-Json that wrote numbers instead of names.
const WINDOWS_STATE_NUMBERS = ['unreachable', 'incomplete', 'probe', 'delay', 'stale', 'reachable', 'permanent'];

/**
 * `Get-NetNeighbor -AddressFamily IPv4 | Select IPAddress,LinkLayerAddress,State | ConvertTo-Json`:
 * an array, or a single object when there is one neighbour; State a name or its enum number.
 */
export function parseGetNetNeighborJson(output: string): Neighbour[] {
  const text = output.replace(/^\uFEFF/, '').trim();
  if (text === '') return [];
  const parsed: unknown = JSON.parse(text);
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const out: Neighbour[] = [];
  for (const item of items) {
    if (!item || typeof item !== 'object') continue;
    const { IPAddress, LinkLayerAddress, State } = item as Record<string, unknown>;
    if (typeof IPAddress !== 'string' || !new RegExp(`^${IPV4}$`).test(IPAddress)) continue;
    const name = typeof State === 'number' ? WINDOWS_STATE_NUMBERS[State] : String(State ?? '').toLowerCase();
    const state = WINDOWS_STATES[name] ?? 'unknown';
    const mac = typeof LinkLayerAddress === 'string' ? normaliseMac(LinkLayerAddress) : undefined;
    out.push(mac && state !== 'failed' ? { ip: IPAddress, mac, state } : { ip: IPAddress, state: 'failed' });
  }
  return out;
}
