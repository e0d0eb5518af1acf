// `node --import tsx scripts/refresh-oui.ts [oui.csv mam.csv oui36.csv]`: rebuilds the compact IEEE
// registry bundled with the agent (agent/checks/discovery/oui.tsv.br) for Windows and offline hosts.
// It reads local files only: Debian's ieee-data by default, or CSVs downloaded by hand from
// https://standards-oui.ieee.org (oui/oui.csv, oui28/mam.csv, oui36/oui36.csv).
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { BUNDLED_OUI_FILE, registryCsvEntries, SYSTEM_OUI_FILES } from '../agent/checks/discovery/oui.ts';

const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : SYSTEM_OUI_FILES;
const entries = new Map<string, string>();
for (const f of files) for (const [prefix, vendor] of registryCsvEntries(readFileSync(f, 'utf8'))) entries.set(prefix, vendor);
if (entries.size < 1000) {
  console.error(`only ${entries.size} entries in ${files.join(', ')}: not an IEEE registry export?`);
  process.exit(1);
}
const text = [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, v]) => `${p}\t${v}`).join('\n') + '\n';
const packed = brotliCompressSync(Buffer.from(text), { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 } });
writeFileSync(BUNDLED_OUI_FILE, packed);
console.log(`${BUNDLED_OUI_FILE}: ${entries.size} prefixes, ${packed.length} bytes`);
