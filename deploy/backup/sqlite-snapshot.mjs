// Online snapshot of the collector's SQLite state (node sqlite-snapshot.mjs SRC DEST): `VACUUM INTO`
// writes a consistent, compacted copy while the collector keeps running, then the copy is checked.
// better-sqlite3 is taken from the collector's installation (CANHGAC_COLLECTOR_DIR).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [src, dest] = process.argv.slice(2);
if (!src || !dest) {
  process.stderr.write('usage: node sqlite-snapshot.mjs STATE_DB DEST_FILE\n');
  process.exit(2);
}
if (existsSync(dest)) {
  process.stderr.write(`${dest} exists: refusing to overwrite a snapshot\n`);
  process.exit(2);
}
const collectorDir = resolve(process.env.CANHGAC_COLLECTOR_DIR ?? '/opt/canhgac-collector');
const Database = createRequire(join(collectorDir, 'package.json'))('better-sqlite3');
const db = new Database(src, { fileMustExist: true, timeout: 10_000 });
try {
  db.prepare('VACUUM INTO ?').run(resolve(dest));
} finally {
  db.close();
}
const copy = new Database(dest, { readonly: true });
const check = copy.pragma('integrity_check', { simple: true });
copy.close();
if (check !== 'ok') {
  process.stderr.write(`integrity check of ${dest} failed: ${check}\n`);
  process.exit(1);
}
process.stdout.write(`${dest}: ok\n`);
