// `npm run bench -- web`: the same 200-page loopback portal (test/support/web-site.ts, in its own
// process) crawled by Canh Gác's web_integrity check (all three views, and the browser view alone)
// and by Debian's `wget --spider -r -l 4` (one view). Wall time, pages per second and their ratio.
// Loopback only: 127.0.0.1 (the portal) and 127.0.0.2 (its off-site domain, never crawled).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgentConfig } from '../../agent/config.ts';
import { createLogger } from '../../agent/log.ts';
import { runCheck } from '../../agent/run-check.ts';
import { median, table } from './lib.ts';

const ROUNDS = 9;
/** 159 articles: 200 HTML pages with the menus, lists, documents and sections. */
const NEWS = 159;
const SUPPORT = join(import.meta.dirname, '..', 'support', 'web-site.ts');

// The portal lives in its own process, so that neither crawler shares an event loop with it.
const SITE_CHILD = `
const { startOffsite, startWebSite } = await import(${JSON.stringify(SUPPORT)});
const offsite = await startOffsite();
const site = await startWebSite({ offsite: offsite.url, news: ${NEWS} });
console.log(JSON.stringify({ url: site.url, pages: site.htmlPages().length }));
setTimeout(() => process.exit(0), 15 * 60_000).unref();
`;

/**
 * One run of the check as the agent runs it: the config through the agent's own parser, so every
 * setting is the user's default (sitemap read, maxPages 200, maxDepth 4, 4 requests in flight per
 * site) but the views measured and a state file of the bench's own.
 */
async function canhGac(url: string, views: ('browser' | 'googlebot' | 'search')[], dir: string): Promise<{ ms: number; pages: number }> {
  const cfg = parseAgentConfig('bench.yaml', { checks: [{ type: 'web_integrity', sites: [{ url }], views, stateFile: join(dir, `state-${views.length}.json`) }] });
  const t0 = performance.now();
  const run = await runCheck(cfg.checks[0], createLogger({ level: 'error' }));
  const ms = performance.now() - t0;
  if (run.error) throw run.error;
  const s = run.samples.find((x) => x.measurement === 'web_integrity')!;
  return { ms, pages: Number(s.fields.pages_crawled) };
}

function wget(url: string, dir: string): { ms: number; pages: number } {
  const log = join(dir, 'wget.log');
  const t0 = performance.now();
  const r = spawnSync('wget', ['--spider', '-r', '-l', '4', '-nd', '-nv', '-o', log, '-P', dir, url], { timeout: 600_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 8) throw new Error(`wget exited ${r.status}`);
  // One line per URL; the pages wget downloaded to read their links (`URL:… [size] -> "file"`) are its
  // HTML pages (the PDFs it only asked about, robots.txt is not a page).
  const fetched = new Set(readFileSync(log, 'utf8').split('\n').map((l) => /URL: ?(\S+) \[\d+(?:\/\d+)?\] ->/.exec(l)?.[1]).filter((u): u is string => !!u && !u.endsWith('/robots.txt')));
  return { ms, pages: fetched.size };
}

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v wget']).status !== 0) {
    console.error('wget is not installed (apt-get install wget)');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-web-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SITE_CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const site = JSON.parse(line.toString()) as { url: string; pages: number };
    const rounds = { three: [] as number[], one: [] as number[], wget: [] as number[] };
    const pages = { three: 0, one: 0, wget: 0 };
    // Warm-up: the first crawl of a site is its baseline, and each crawler's first run pays its start-up.
    // Three warm-up rounds: the JIT settles after a few crawls (about 500 ms cold, under 200 ms warm here).
    for (let i = 0; i < 3; i++) {
      await canhGac(site.url, ['browser', 'googlebot', 'search'], dir);
      await canhGac(site.url, ['browser'], dir);
      wget(site.url, dir);
    }
    for (let i = 0; i < ROUNDS; i++) {
      const w = wget(site.url, dir);
      const one = await canhGac(site.url, ['browser'], dir);
      const three = await canhGac(site.url, ['browser', 'googlebot', 'search'], dir);
      rounds.wget.push(w.ms);
      rounds.one.push(one.ms);
      rounds.three.push(three.ms);
      [pages.wget, pages.one, pages.three] = [w.pages, one.pages, three.pages];
    }
    const m = { three: median(rounds.three), one: median(rounds.one), wget: median(rounds.wget) };
    // Each round runs the three crawls back to back: the median of the rounds' own ratios is steadier on a
    // shared machine than the ratio of medians.
    const ratio = (xs: number[]) => median(xs.map((x, i) => x / rounds.wget[i])).toFixed(2);
    const rate = (p: number, ms: number) => Math.round((p / ms) * 1000);
    console.log(
      table(
        [`200-page loopback portal, median of ${ROUNDS}`, 'pages', 'wall time (ms)', 'pages/s', 'time ratio to wget (median per round)'],
        [
          ['Canh Gác, three views (browser, Googlebot, search visitor)', pages.three, Math.round(m.three), rate(pages.three, m.three), ratio(rounds.three)],
          ['Canh Gác, browser view only', pages.one, Math.round(m.one), rate(pages.one, m.one), ratio(rounds.one)],
          ['wget --spider -r -l 4 (one view)', pages.wget, Math.round(m.wget), rate(pages.wget, m.wget), '1.00'],
        ],
      ),
    );
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(
      `\nThe portal has ${site.pages} HTML pages (plus 10 PDFs and robots.txt); goals: three views ≤ 1.5× wget, one view ≤ 1.0×. ` +
        `Canh Gác runs in this process (no start-up) with the check's default settings (it also reads the sitemap, which wget does not); ` +
        `wget is a process per round. Load average ${load} at the end.`,
    );
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
