/**
 * Vendor names from the IEEE registries (MA-L, MA-M, MA-S). Sources, first found wins: the `ouiFile`
 * of the config (an IEEE CSV such as Debian's /usr/share/ieee-data/oui.csv, or a compact .br copy);
 * the compact copy bundled with the agent (all three registries, 0.3 MB, read in a few tens of ms;
 * made by scripts/refresh-oui.ts); Debian's ieee-data files when the bundled copy is missing.
 * Only the prefixes asked for are kept in memory: the whole registry is 42,000 names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';

export const SYSTEM_OUI_FILES = ['/usr/share/ieee-data/oui.csv', '/usr/share/ieee-data/mam.csv', '/usr/share/ieee-data/oui36.csv'];
export const BUNDLED_OUI_FILE = fileURLToPath(new URL('./oui.tsv.br', import.meta.url));

/** One CSV record (RFC 4180 quoting) from one line; the registry has no line breaks inside fields. */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** "Cisco Systems, Inc" → "Cisco Systems": legal suffixes cost space and say nothing on a dashboard. */
export function shortVendor(name: string): string {
  let n = name.replace(/\s+/g, ' ').trim();
  const suffix = /[\s,.]*(co\.?,?\s*ltd\.?|corporation|corp\.?|inc\.?|incorporated|llc|l\.l\.c\.|gmbh|limited|ltd\.?|s\.?a\.?|ag|b\.v\.|pte|company|co\.)$/i;
  for (let i = 0; i < 3; i++) n = n.replace(suffix, '').replace(/[\s,.]+$/, '');
  return n || name.trim();
}

/**
 * `Registry,Assignment,Organization Name,…` rows → [hex prefix (6, 7 or 9 digits), vendor]. With
 * `only`, rows of other prefixes are skipped before their quoting is parsed (3 MB of CSV a cycle).
 */
export function* registryCsvEntries(text: string, only?: ReadonlySet<string>): Generator<[string, string]> {
  for (const line of text.split('\n')) {
    if (!line.startsWith('MA-')) continue;
    if (only && !only.has(line.slice(5, line.indexOf(',', 5)).toUpperCase())) continue;
    const [, prefix, org] = parseCsvLine(line.replace(/\r$/, ''));
    if (/^[0-9A-Fa-f]{6,9}$/.test(prefix) && org) yield [prefix.toUpperCase(), shortVendor(org)];
  }
}

/** The bundled copy: `PREFIX<TAB>Vendor` lines, brotli-compressed. */
export function* compactEntries(data: Buffer, only?: ReadonlySet<string>): Generator<[string, string]> {
  for (const line of brotliDecompressSync(data).toString('utf8').split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0 && (!only || only.has(line.slice(0, tab)))) yield [line.slice(0, tab), line.slice(tab + 1)];
  }
}

function prefixesOf(mac: string): string[] {
  const hex = mac.replace(/:/g, '').toUpperCase();
  return [hex.slice(0, 9), hex.slice(0, 7), hex.slice(0, 6)];
}

export interface VendorLookup {
  vendors: Map<string, string>;
  source: string;
}

/** Vendor of each MAC (the longest registered prefix), from the first source that exists. */
export function lookupVendors(macs: readonly string[], ouiFile?: string): VendorLookup {
  const wanted = new Set(macs.flatMap(prefixesOf));
  const found = new Map<string, string>();
  let source = 'none';
  const keep = (entries: Iterable<[string, string]>) => {
    for (const [prefix, vendor] of entries) if (wanted.has(prefix)) found.set(prefix, vendor);
  };
  if (macs.length > 0) {
    if (ouiFile) {
      const data = readFileSync(ouiFile);
      keep(ouiFile.endsWith('.br') ? compactEntries(data, wanted) : registryCsvEntries(data.toString('utf8'), wanted));
      source = ouiFile;
    } else if (existsSync(BUNDLED_OUI_FILE)) {
      keep(compactEntries(readFileSync(BUNDLED_OUI_FILE), wanted));
      source = BUNDLED_OUI_FILE;
    } else if (existsSync(SYSTEM_OUI_FILES[0])) {
      for (const f of SYSTEM_OUI_FILES) if (existsSync(f)) keep(registryCsvEntries(readFileSync(f, 'utf8'), wanted));
      source = SYSTEM_OUI_FILES[0];
    }
  }
  const vendors = new Map<string, string>();
  for (const mac of macs) {
    const hit = prefixesOf(mac).find((p) => found.has(p));
    if (hit) vendors.set(mac, found.get(hit)!);
  }
  return { vendors, source };
}
