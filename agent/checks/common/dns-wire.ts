// The DNS wire format (RFC 1035, EDNS0 of RFC 6891) for the dns and mail_domain checks: a query
// encoder and a response decoder that treats every byte of an answer as hostile.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/*
 * Why our own decoder: Node's resolver (c-ares) hides the rcode, the AD flag, truncation and the
 * transport, which are what a DNS check reports. The decoder is bounded by construction: it never
 * reads past the packet, compression pointers must point strictly backwards (no loops), a name has
 * at most 255 bytes, at most MAX_RECORDS records are read and every text is clipped.
 */

export const RECORD_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28 } as const;
export type RecordType = keyof typeof RECORD_TYPES;
export const RECORD_TYPE_NAMES = Object.keys(RECORD_TYPES) as RecordType[];
const TYPE_BY_CODE = new Map<number, RecordType>(Object.entries(RECORD_TYPES).map(([k, v]) => [v, k as RecordType]));

export const RCODE_NAMES: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };

/** Records read from one answer section; a real answer for one name and type has far fewer. */
export const MAX_RECORDS = 512;
/** One TXT record's strings joined (SPF and DKIM records fit; a 64 KiB blob does not need to). */
export const MAX_TXT_CHARS = 4096;
/** Our EDNS0 UDP payload size: the DNS Flag Day 2020 value, no IP fragmentation. */
export const EDNS_UDP_SIZE = 1232;

export interface DnsRecord {
  /** Owner name, lower case, without the final dot. */
  name: string;
  /** Our name for the type, or TYPE<n> for one we do not decode. */
  type: string;
  ttl: number;
  /** The data as text: an address, a name, "10 mx.example.vn", a TXT string, an SOA line. */
  text: string;
  /** SOA only: the serial. */
  serial?: number;
}

export interface DnsMessage {
  id: number;
  qr: boolean;
  /** Truncated: the answer did not fit in the UDP datagram. */
  tc: boolean;
  /** Authenticated data: the (validating) resolver checked the answer with DNSSEC. */
  ad: boolean;
  rcode: number;
  question?: { name: string; type: number; class: number };
  answers: DnsRecord[];
  /** Records left unread because the answer had more than MAX_RECORDS. */
  skipped: number;
}

export class DnsFormatError extends Error {}

/** A name ready for the wire: IDN to punycode, no final dot; undefined when it is not a DNS name. */
export function normaliseName(name: string): string | undefined {
  const trimmed = name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name;
  if (trimmed === '.' || trimmed === '') return '';
  const ascii = /^[\x21-\x7e]*$/.test(trimmed) ? trimmed : domainToASCII(trimmed);
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  // Letters, digits, '-' and '_' (service labels such as _dmarc, _mta-sts, selector._domainkey).
  if (!labels.every((l) => l.length >= 1 && l.length <= 63 && /^[A-Za-z0-9_-]+$/.test(l))) return undefined;
  return ascii.toLowerCase();
}

/** The PTR name of an IP address (192.0.2.1 → 1.2.0.192.in-addr.arpa); undefined for anything else. */
export function reverseName(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (family !== 6) return undefined;
  const nibbles = expandIpv6(ip).replace(/:/g, '').split('').reverse();
  return `${nibbles.join('.')}.ip6.arpa`;
}

function expandIpv6(ip: string): string {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** A query for `name` (already normalised) and `type`, with EDNS0 and the AD bit (RFC 6840 5.7). */
export function encodeQuery(id: number, name: string, type: RecordType): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  // RD (recursion desired) and AD (tell us whether the resolver validated the answer).
  header.writeUInt16BE(0x0100 | 0x0020, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(RECORD_TYPES[type], 0);
  question.writeUInt16BE(1, 2);
  // OPT pseudo-record: root name, type 41, class = our UDP size, no extended flags, no options.
  const opt = Buffer.from([0, 0, 41, (EDNS_UDP_SIZE >> 8) & 255, EDNS_UDP_SIZE & 255, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, qname, question, opt]);
}

/** Reads one name at `offset`; `end` is where the name ends in place (after a pointer, if any). */
function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let length = 0;
  // Each pointer must go strictly backwards from the label that holds it: at most `offset` jumps, no loop.
  let limit = pos;
  for (let steps = 0; steps < 256; steps++) {
    if (pos >= buf.length) throw new DnsFormatError('a name runs past the end of the message');
    const len = buf[pos];
    if (len === 0) {
      if (end < 0) end = pos + 1;
      return { name: labels.join('.').toLowerCase(), end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('a compression pointer runs past the end');
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      if (target >= limit) throw new DnsFormatError('a compression pointer does not point backwards');
      if (end < 0) end = pos + 2;
      limit = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError('an unknown label type');
    if (pos + 1 + len > buf.length) throw new DnsFormatError('a label runs past the end of the message');
    length += len + 1;
    if (length > 255) throw new DnsFormatError('a name longer than 255 bytes');
    labels.push(printable(buf.subarray(pos + 1, pos + 1 + len).toString('latin1')));
    pos += 1 + len;
  }
  throw new DnsFormatError('a name with too many labels');
}

/** Control characters and anything outside printable ASCII shown as \xHH: answers end up in logs and mails. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Like printable, but UTF-8 text (a TXT record in Vietnamese) is kept readable. */
function printableUtf8(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function formatIpv6(b: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The data of one record as text; `start`/`end` bound its RDATA. */
function rdataText(buf: Buffer, type: number, start: number, end: number): { text: string; serial?: number } {
  const need = (n: number) => {
    if (end - start < n) throw new DnsFormatError('a record shorter than its type needs');
  };
  switch (TYPE_BY_CODE.get(type)) {
    case 'A':
      need(4);
      return { text: [...buf.subarray(start, start + 4)].join('.') };
    case 'AAAA':
      need(16);
      return { text: formatIpv6(buf.subarray(start, start + 16)) };
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return { text: readName(buf, start).name };
    case 'MX': {
      need(3);
      return { text: `${buf.readUInt16BE(start)} ${readName(buf, start + 2).name}` };
    }
    case 'TXT': {
      const parts: string[] = [];
      let total = 0;
      for (let p = start; p < end && total < MAX_TXT_CHARS; ) {
        const len = buf[p];
        if (p + 1 + len > end) throw new DnsFormatError('a TXT string runs past its record');
        const s = printableUtf8(buf.subarray(p + 1, p + 1 + len));
        parts.push(s);
        total += s.length;
        p += 1 + len;
      }
      return { text: parts.join('').slice(0, MAX_TXT_CHARS) };
    }
    case 'SOA': {
      const mname = readName(buf, start);
      const rname = readName(buf, mname.end);
      if (rname.end + 20 > end) throw new DnsFormatError('an SOA record shorter than its type needs');
      const nums = Array.from({ length: 5 }, (_, i) => buf.readUInt32BE(rname.end + i * 4));
      return { text: `${mname.name} ${rname.name} ${nums.join(' ')}`, serial: nums[0] };
    }
    default:
      return { text: buf.subarray(start, Math.min(end, start + 64)).toString('hex') };
  }
}

/** Decodes a response; throws DnsFormatError for anything malformed (never reads out of bounds). */
export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsFormatError('a message shorter than a DNS header');
  const flags = buf.readUInt16BE(2);
  const msg: DnsMessage = {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    tc: (flags & 0x0200) !== 0,
    ad: (flags & 0x0020) !== 0,
    rcode: flags & 0x000f,
    answers: [],
    skipped: 0,
  };
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  let pos = 12;
  if (qdcount > 1) throw new DnsFormatError(`${qdcount} questions in an answer`);
  if (qdcount === 1) {
    const q = readName(buf, pos);
    if (q.end + 4 > buf.length) throw new DnsFormatError('a question runs past the end of the message');
    msg.question = { name: q.name, type: buf.readUInt16BE(q.end), class: buf.readUInt16BE(q.end + 2) };
    pos = q.end + 4;
  }
  // A truncated UDP answer may end mid-section: what is there is enough to see TC.
  for (let i = 0; i < ancount; i++) {
    if (i >= MAX_RECORDS) {
      msg.skipped = ancount - i;
      break;
    }
    if (msg.tc && pos >= buf.length) break;
    const owner = readName(buf, pos);
    if (owner.end + 10 > buf.length) throw new DnsFormatError('a record header runs past the end of the message');
    const type = buf.readUInt16BE(owner.end);
    const ttl = buf.readUInt32BE(owner.end + 4);
    const rdlength = buf.readUInt16BE(owner.end + 8);
    const start = owner.end + 10;
    if (start + rdlength > buf.length) throw new DnsFormatError('a record runs past the end of the message');
    const data = rdataText(buf, type, start, start + rdlength);
    msg.answers.push({ name: owner.name, type: TYPE_BY_CODE.get(type) ?? `TYPE${type}`, ttl, ...data });
    pos = start + rdlength;
  }
  return msg;
}

/** An answer or expectation in one comparable form: names without the final dot, lower case, addresses canonical. */
export function canonicalAnswer(type: RecordType, text: string): string {
  const t = text.trim();
  switch (type) {
    case 'A':
      return t;
    case 'AAAA':
      return isIP(t) === 6 ? formatIpv6(Buffer.from(expandIpv6(t).replace(/:/g, ''), 'hex')) : t.toLowerCase();
    case 'TXT':
      return t;
    case 'MX': {
      const [pref, host = ''] = t.split(/\s+/);
      return `${Number(pref)} ${host.replace(/\.$/, '').toLowerCase()}`;
    }
    case 'SOA':
      return t.split(/\s+/).map((p, i) => (i < 2 ? p.replace(/\.$/, '').toLowerCase() : p)).join(' ');
    default:
      return t.replace(/\.$/, '').toLowerCase();
  }
}
