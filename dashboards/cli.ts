// `npm run dashboards`: writes the dashboards' JSON into deploy/grafana/dashboards/ (or --out).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDashboards, DEFAULT_OUT_DIR, serialize } from './build.ts';
import { isLocale, LOCALES } from './i18n.ts';

/** `npm run dashboards [-- --locale en] [--out DIR]`: write the dashboards' JSON for Grafana provisioning. */
function main(argv: string[]): number {
  let values;
  try {
    values = parseArgs({ args: argv, options: { locale: { type: 'string', default: 'vi' }, out: { type: 'string', default: DEFAULT_OUT_DIR } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`dashboards: ${(err as Error).message}\nusage: npm run dashboards -- [--locale vi|en] [--out DIR]\n`);
    return 2;
  }
  if (!isLocale(values.locale!)) {
    process.stderr.write(`dashboards: --locale: expected one of ${LOCALES.join(', ')}, got "${values.locale}"\n`);
    return 2;
  }
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  // Dashboards removed from the code must disappear from provisioning too.
  for (const f of readdirSync(out)) if (f.startsWith('canhgac-') && f.endsWith('.json')) rmSync(join(out, f));
  const built = buildDashboards(values.locale);
  for (const { file, dashboard } of built) writeFileSync(join(out, file), serialize(dashboard));
  process.stdout.write(`wrote ${built.length} dashboards (${values.locale}) to ${out}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
