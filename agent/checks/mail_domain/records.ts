// Parsing the mail domain's DNS records (SPF, DMARC, MTA-STS, TLS-RPT, DKIM) and the MTA-STS policy file,
// by splitting on fixed separators only: every byte comes from a DNS answer or a web server.

/** The records of a TXT answer that start with `prefix` (case-insensitive), e.g. "v=spf1". */
export function recordsWith(texts: readonly string[], prefix: string): string[] {
  const p = prefix.toLowerCase();
  return texts.filter((t) => {
    const lower = t.trim().toLowerCase();
    return lower === p || lower.startsWith(`${p} `) || lower.startsWith(`${p};`);
  });
}

/** `k=v; k=v` tags (DMARC, MTA-STS, TLS-RPT, DKIM), names lower-cased; the first of a repeated tag wins. */
export function tagList(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';').slice(0, 64)) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim().toLowerCase();
    if (k && !tags.has(k)) tags.set(k, part.slice(i + 1).trim());
  }
  return tags;
}

export interface SpfTerms {
  /** Mechanisms and modifiers that cost a DNS lookup (RFC 7208 4.6.4). */
  lookups: number;
  /** Domains whose SPF records count too: include: targets and a redirect=. */
  includes: string[];
  /** The `all` mechanism with its qualifier ("-all", "+all", ...), if any. */
  all?: string;
  redirect?: string;
}

/** The terms of one SPF record (RFC 7208 section 5); at most 100 terms are read. */
export function spfTerms(record: string): SpfTerms {
  const out: SpfTerms = { lookups: 0, includes: [] };
  for (const raw of record.trim().split(' ').filter(Boolean).slice(1, 101)) {
    const term = raw.toLowerCase();
    const mech = term.replace(/^[+\-~?]/, '');
    const name = mech.split(/[:/=]/, 1)[0];
    if (name === 'all') out.all = /^[+\-~?]/.test(term) ? term : `+${term}`;
    else if (name === 'include') {
      out.lookups++;
      out.includes.push(mech.slice('include:'.length));
    } else if (name === 'a' || name === 'mx' || name === 'ptr' || name === 'exists') out.lookups++;
    else if (name === 'redirect') {
      out.lookups++;
      out.redirect = mech.slice('redirect='.length);
    }
  }
  return out;
}

export interface StsPolicy {
  version?: string;
  mode?: string;
  maxAge?: number;
  mx: string[];
}

/** The MTA-STS policy file (RFC 8461 3.2): `key: value` lines; at most 200 lines are read. */
export function parseStsPolicy(text: string): StsPolicy {
  const policy: StsPolicy = { mx: [] };
  for (const line of text.split('\n').slice(0, 200)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (key === 'version') policy.version = value;
    else if (key === 'mode') policy.mode = value.toLowerCase();
    else if (key === 'max_age') policy.maxAge = Number(value);
    else if (key === 'mx' && policy.mx.length < 50) policy.mx.push(value.toLowerCase().replace(/\.$/, ''));
  }
  return policy;
}

/** Whether an MX host is covered by a policy's mx pattern (`*.example.vn` matches one label, RFC 8461 4.1). */
export function mxMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.startsWith('*.')) return pattern === h;
  const rest = pattern.slice(2);
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === rest;
}
