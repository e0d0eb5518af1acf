// The web_integrity check against a real portal on loopback (test/support/web-site.ts) through
// `canhgac-agent once --json`, every scenario of issue 16; its matching, hiding, robots, URL and sitemap
// rules on their own; and its politeness and bounds against hostile loopback servers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireSample } from '../../../protocol/index.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { AGENT_BIN, runCli, writeYaml } from '../../../test/support/agent.ts';
import { startOffsite, startTrapSite, startWebSite, type WebSite } from '../../../test/support/web-site.ts';
import { sameButNumbers } from './crawl.ts';
import { Cancel, decodeHtml, SiteFetcher } from './fetcher.ts';
import { fold } from './fold.ts';
import { parsePage } from './html.ts';
import { hidingReason, hidingRulesOf } from './hiding.ts';
import { buildMatcher, FLAG_SCORE, judgeContent } from './judge.ts';
import { globMatches, parseRobots } from './robots.ts';
import { parseSitemap } from './sitemap.ts';
import { looksLikeTrap, normalizeUrl, registrableDomain, UrlCache } from './urls.ts';
import { webIntegrityCheck } from './index.ts';

const matcher = buildMatcher({ extra: [], disable: [] }, []);
const found = (text: string) => matcher.findIn(text).filter((m) => m.entry.kind === 'spam').map((m) => m.entry.text);
const pageScore = (html: string) => judgeContent(parsePage(html, new URL('http://127.0.0.1/')), matcher, { isHome: false, foreign: (u) => u.hostname !== '127.0.0.1' });

describe('web_integrity: phrases survive the usual disguises', () => {
  it.each([
    ['Top nhà cái uy tín', 'nhà cái'],
    ['NHÀ CÁI', 'nhà cái'],
    ['nha cai uy tin', 'nhà cái'],
    ['n h à   c á i', 'nhà cái'],
    ['n.h.à c.á.i', 'nhà cái'],
    ['tài\u200bxỉu', 'tài xỉu'],
    ['no\u0302\u0309 hu\u0303 (decomposed marks)', 'nổ hũ'],
    ['c4s1n0', 'casino'],
    ['саsino (Cyrillic с and а)', 'casino'],
    ['Ｃａｓｉｎｏ', 'casino'],
    ['nohu88.com', 'nổ hũ'],
    ['vào fb88 ngay', 'fb88'],
    ['ca do bong da tren mang', 'cá độ'],
  ])('%s → %s', (text, phrase) => {
    expect(found(text)).toContain(phrase);
  });

  it.each([
    'Không lo để ý đến chuyện nhỏ',
    'Các ca do virus gây ra đều đã khỏi',
    'Bài nhạc ai hát hay nhất',
    'Mã hồ sơ 5107, số 2024',
    'Kết quả xổ số kiến thiết kỳ này',
    'Ca sĩ nở nụ cười',
    'Lô đất số 5 đã được đề xuất',
  ])('ordinary Vietnamese is not spam: %s', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('news about a gambling ring is not an advertisement; a gambling advertisement is', () => {
    const news = '<p>Công an tỉnh triệt phá đường dây đánh bạc dưới hình thức lô đề, xóc đĩa, cá độ bóng đá; khởi tố 12 bị can.</p>';
    expect(pageScore(`<html><body>${news}</body></html>`).visible.score).toBeLessThan(FLAG_SCORE);
    const ad = '<p>Top nhà cái uy tín: đăng ký nhận thưởng</p>';
    expect(pageScore(`<html><body>${ad}</body></html>`).visible.score).toBeGreaterThanOrEqual(FLAG_SCORE);
    // Weak words alone in an advertisement: four different ones are enough.
    expect(pageScore('<html><body><p>casino, slot, poker, blackjack mỗi ngày</p></body></html>').visible.score).toBeGreaterThanOrEqual(FLAG_SCORE);
  });

  it('an allowed phrase is not a finding, and an extra phrase is', () => {
    const m = buildMatcher({ extra: ['xổ số'], disable: ['casino'] }, ['xổ số kiến thiết']);
    const spam = (t: string) => m.findIn(t).filter((x) => x.entry.kind === 'spam').map((x) => x.entry.text);
    expect(spam('Kết quả xổ số kiến thiết')).toEqual([]);
    expect(spam('Xổ số online hôm nay')).toContain('xổ số');
    expect(spam('casino')).toEqual([]);
  });

  it('a text folded in the matcher\'s reused scratch matches as one folded afresh, whatever was folded there before', () => {
    const texts = [
      `${'Ủy ban nhân dân tỉnh thông báo lịch tiếp công dân. '.repeat(200)} nổ hũ đổi thưởng`,
      'nha cai uy tin',
      'Chơi n . h . à   c . á . i ngay',
      'c4s1n0 và s l o t',
      'Chơi nổ\u200b hũ\u200c đổi\u200d thưởng',
      'lo để',
      `${'x'.repeat(300_000)} nhà cái`,
      'tài xỉu',
      '',
    ];
    const m = buildMatcher({ extra: [], disable: [] }, []);
    const fresh = (t: string) => m.find(fold(t)).map((x) => [x.entry.text, x.start, x.end, x.from, x.to]);
    const reused = (t: string) => m.findIn(t).map((x) => [x.entry.text, x.start, x.end, x.from, x.to]);
    for (const t of [...texts, ...texts.slice().reverse()]) expect(reused(t)).toEqual(fresh(t));
    expect(reused(texts[0]).map(([text]) => text)).toContain('nổ hũ');
  });

  it('evidence is the phrase in its context, at most 300 characters, without control characters', () => {
    const long = `${'Ủy ban nhân dân tỉnh thông báo. '.repeat(30)}\u202eTop nhà cái uy tín\u0007 ${'Lịch làm việc tuần. '.repeat(30)}`;
    const v = pageScore(`<html><body><p>${long}</p></body></html>`).visible;
    expect(v.evidence!.length).toBeLessThanOrEqual(300);
    expect(v.evidence).toContain('nhà cái uy tín');
    expect(v.evidence).not.toMatch(/[\u0000-\u001f\u202e]/);
  });
});

describe('web_integrity: hidden content', () => {
  it.each([
    ['display: none', 'display:none'],
    ['visibility:hidden', 'visibility:hidden'],
    ['font-size:0px', 'font-size:0px'],
    ['position:absolute; left:-9999px', 'left:-9999px'],
    ['text-indent:-10000px', 'text-indent:-10000px'],
    ['height:0;overflow:hidden', 'height:0;overflow:hidden'],
    ['opacity:0', 'opacity:0'],
  ])('%s', (style, reason) => {
    expect(hidingReason(style)).toBe(reason);
  });

  it('ordinary styles hide nothing', () => {
    expect(hidingReason('color:red; font-size:14px; margin-left:-10px; position:relative')).toBeUndefined();
  });

  it('classes hidden by the page\'s own <style>, <noscript> blocks and links inside hidden containers', () => {
    const html = `<html><head><style>/* x */ @media screen { .seo-links { display:none } } .menu:hover .sub{display:block}</style></head><body>
      <p>Tin tức</p><div class="seo-links"><a href="http://127.0.0.2/x">nhà cái uy tín</a></div><noscript>nổ hũ đổi thưởng</noscript></body></html>`;
    const page = parsePage(html, new URL('http://127.0.0.1/'));
    expect(page.hidden.map((h) => h.reason).sort()).toEqual(['.seo-links {display:none}', '<noscript>']);
    expect(page.links[0].hidden).toBe('.seo-links {display:none}');
    expect(page.visible).not.toContain('nhà cái');
    const v = judgeContent(page, matcher, { isHome: false, foreign: (u) => u.hostname !== '127.0.0.1' });
    expect(v.hidden.score).toBeGreaterThanOrEqual(FLAG_SCORE);
    expect(v.visible.score).toBe(0);
  });

  it('<style> blocks in any case, after text whose lowercase is longer (İ), each read whole', () => {
    const rules = hidingRulesOf(`<title>İİİİ TİN</title><STYLE type="text/css">.a{display:none}</Style><p>x</p><style>#b { visibility: hidden }</STYLE>`);
    expect([...rules.classes]).toEqual([['a', '.a {display:none}']]);
    expect([...rules.ids]).toEqual([['b', '#b {visibility:hidden}']]);
    // An unclosed block: read to the end of the page.
    expect([...hidingRulesOf('<p>x</p><style>.c{font-size:0}').classes.keys()]).toEqual(['c']);
  });

  it('meta refresh and location assignments in inline scripts are redirects', () => {
    const page = parsePage(
      `<html><head><meta http-equiv="refresh" content="0; url=http://127.0.0.2/a"></head><body><script>if (document.referrer.indexOf('google') > -1) { window.location.href = "http://127.0.0.2/b"; }</script><script>top.location.replace('/noi-bo')</script></body></html>`,
      new URL('http://127.0.0.1/'),
    );
    expect(page.redirects.map((r) => `${r.how} ${r.url.href}`)).toEqual(['meta refresh http://127.0.0.2/a', 'script http://127.0.0.2/b', 'script http://127.0.0.1/noi-bo']);
  });
});

describe('web_integrity: views that differ only in their digits', () => {
  const strip = (b: Buffer) => Buffer.from([...b].filter((c) => c < 0x30 || c > 0x39));

  it('are the same as if every digit were taken out of both', () => {
    const piece = fc.oneof(fc.constantFrom('a', 'b', '<p>', '7', '42', '2024', 'x'.repeat(70)), fc.string({ maxLength: 3 }));
    const body = fc.array(piece, { maxLength: 300 }).map((p) => p.join(''));
    const edit = fc.tuple(fc.nat(), fc.constantFrom('', '1', '99', '123456', 'x', '<b>'));
    fc.assert(
      fc.property(body, fc.array(edit, { maxLength: 4 }), (text, edits) => {
        let other = text;
        for (const [at, s] of edits) other = other.slice(0, at % (other.length + 1)) + s + other.slice(at % (other.length + 1));
        const [a, b] = [Buffer.from(text), Buffer.from(other)];
        expect(sameButNumbers(a, b)).toBe(strip(a).equals(strip(b)));
        expect(sameButNumbers(b, a)).toBe(strip(a).equals(strip(b)));
      }),
      { numRuns: 3000 },
    );
  });

  it('long bodies: a counter anywhere is no difference, a letter anywhere is', () => {
    const page = (counter: string, letter = 'a') => Buffer.from(`${'<li>Tin 2024 lần 7</li>'.repeat(4000)}${counter}${letter}${'<p>Địa chỉ số 1</p>'.repeat(5000)}`);
    expect(sameButNumbers(page('123'), page('98765'))).toBe(true);
    expect(sameButNumbers(page('123'), page(''))).toBe(true);
    expect(sameButNumbers(page('123'), page('123', 'b'))).toBe(false);
    expect(sameButNumbers(page('1'), Buffer.concat([page('1'), Buffer.from('x')]))).toBe(false);
    expect(sameButNumbers(page('1'), Buffer.concat([page('1'), Buffer.from('2026')]))).toBe(true);
  });
});

describe('web_integrity: robots.txt, URLs and sitemaps', () => {
  it('robots.txt: our group or *, longest match, Allow wins a tie, * and $', () => {
    const r = parseRobots('User-agent: Googlebot\nDisallow: /\n\nUser-agent: *\nDisallow: /admin/\nAllow: /admin/public\nDisallow: /*.pdf$\nSitemap: http://x/s.xml\n', 'canhgac');
    expect(r.allows(new URL('http://x/tin-tuc/'))).toBe(true);
    expect(r.allows(new URL('http://x/admin/login'))).toBe(false);
    expect(r.allows(new URL('http://x/admin/public/a'))).toBe(true);
    expect(r.allows(new URL('http://x/files/a.pdf'))).toBe(false);
    expect(r.allows(new URL('http://x/files/a.pdf?x=1'))).toBe(true);
    expect(r.sitemaps).toEqual(['http://x/s.xml']);
    // A hostile pattern costs at most pattern × path steps.
    const t0 = performance.now();
    expect(globMatches(`/${'*a'.repeat(200)}b`, `/${'a'.repeat(2000)}`)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('one spelling per page; traps; registrable domains from the Public Suffix List', () => {
    expect(normalizeUrl('/a?b=2&PHPSESSID=x&a=1#top', 'http://site.vn/')!.href).toBe('http://site.vn/a?a=1&b=2');
    expect(normalizeUrl('/a;jsessionid=ABC?utm_source=fb', 'http://site.vn/')!.href).toBe('http://site.vn/a');
    expect(normalizeUrl('mailto:a@b.vn', 'http://site.vn/')).toBeUndefined();
    expect(normalizeUrl('javascript:void(0)', 'http://site.vn/')).toBeUndefined();
    expect(normalizeUrl('/a#', 'http://site.vn/')!.href).toBe('http://site.vn/a');
    expect(looksLikeTrap(new URL('http://s/a/b/a/b/a/b/a/b/'))).toBe(true);
    expect(looksLikeTrap(new URL('http://s/tin-tuc/2024/bai-1.html'))).toBe(false);
    expect(registrableDomain('soyte.example.gov.vn')).toBe('example.gov.vn');
    expect(registrableDomain('www.example.gov.vn')).toBe(registrableDomain('dichvucong.example.gov.vn'));
    expect(registrableDomain('a.gov.vn')).not.toBe(registrableDomain('b.gov.vn'));
    expect(registrableDomain('127.0.0.2')).toBe('127.0.0.2');
  });

  it('the crawl\'s link cache resolves every link as normalizeUrl does, on any page of any site', () => {
    const raws = ['/a', '/a?b=1&sid=2#x', '//other.vn/x', '/\\evil.vn/x', '/./a/../b', ' /a ', '/a\tb', 'http://x.vn/p#f', 'HTTPS://X.VN/', 'http:rel', 'rel.html', '?page=2', '#top', '', 'javascript:void(0)', `/${'a'.repeat(3000)}`];
    const bases = ['http://site.vn/', 'http://site.vn/tin-tuc/2024/bai.html', 'https://site.vn/', 'http://site.vn:8080/x/', 'http://u:p@site.vn/', 'http://www.site.vn/y'].map((b) => new URL(b));
    const cache = new UrlCache();
    for (let round = 0; round < 2; round++) {
      for (const base of bases) for (const raw of raws) expect([base.href, raw, cache.normalize(raw, base)?.href]).toEqual([base.href, raw, normalizeUrl(raw, base)?.href]);
    }
  });

  it('a page is read in its charset: the header\'s, then its <meta>, else UTF-8 (a byte-order mark dropped)', () => {
    const cp1258 = Buffer.from([0x6e, 0xe0, 0x20, 0x63, 0xe1, 0x69]); // "nà cái": à and á are bytes of their own
    expect(decodeHtml(cp1258, 'text/html; charset=windows-1258')).toBe('nà cái');
    expect(decodeHtml(Buffer.concat([Buffer.from('<meta charset="windows-1258">'), cp1258]), 'text/html')).toBe('<meta charset="windows-1258">nà cái');
    expect(decodeHtml(cp1258, 'text/html')).toBe('n\ufffd c\ufffdi');
    expect(decodeHtml(Buffer.from('\ufeffnhà cái'), 'text/html; charset=UTF-8')).toBe('nhà cái');
    expect(decodeHtml(Buffer.from('nhà cái'), 'text/html; charset=no-such-charset')).toBe('nhà cái');
    expect(decodeHtml(Buffer.from([0x6e, 0xff, 0x61]), '')).toBe('n\ufffda');
  });

  it('sitemaps: urlset, sitemap index, gzip, CDATA and entities, plain text', () => {
    const urlset = '<?xml version="1.0"?><urlset><url><loc>http://s/a?x=1&amp;y=2</loc></url><url><loc><![CDATA[http://s/b]]></loc></url></urlset>';
    expect(parseSitemap(Buffer.from(urlset), 1e6).urls).toEqual(['http://s/a?x=1&y=2', 'http://s/b']);
    expect(parseSitemap(gzipSync(urlset), 1e6).urls).toHaveLength(2);
    expect(parseSitemap(Buffer.from('<sitemapindex><sitemap><loc>http://s/s1.xml</loc></sitemap></sitemapindex>'), 1e6).sitemaps).toEqual(['http://s/s1.xml']);
    expect(parseSitemap(Buffer.from('http://s/a\nhttp://s/b\n'), 1e6).urls).toEqual(['http://s/a', 'http://s/b']);
    // A gzip bomb stops at the byte ceiling.
    expect(parseSitemap(gzipSync(Buffer.alloc(50_000_000)), 1_000_000).urls).toEqual([]);
  });
});

/** Runs the real agent once with one web_integrity entry and returns what it printed. */
async function agentOnce(dir: string, entry: Record<string, unknown>): Promise<WireSample[]> {
  const file = writeYaml(join(dir, `agent-${Math.random().toString(36).slice(2, 8)}.yaml`), { checks: [{ type: 'web_integrity', name: 'Cổng thông tin điện tử tỉnh', stateFile: join(dir, 'state.json'), ...entry }] });
  const r = await runCli(AGENT_BIN, ['once', '--config', file, '--json'], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as WireSample[];
}

const summaryOf = (samples: WireSample[], site?: string) => samples.find((s) => s.measurement === 'web_integrity' && (!site || s.tags.site === site))!;
const findingsOf = (samples: WireSample[]) => samples.filter((s) => s.measurement === 'web_finding' && s.fields.count !== 0);
const pairs = (samples: WireSample[], base: string) => findingsOf(samples).map((s) => `${s.tags.kind} ${String(s.fields.url).replace(base.replace(/\/$/, ''), '')}`).sort();

describe('web_integrity: a loopback portal through `canhgac-agent once --json`', () => {
  let dir: string;
  let site: WebSite;
  let offsite: { url: string; close: () => Promise<void> };
  let entry: Record<string, unknown>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-web-'));
    offsite = await startOffsite();
    site = await startWebSite({ offsite: offsite.url });
    entry = { sites: [{ url: site.url, allow: ['kinh doanh casino', 'xổ số kiến thiết'] }], keywords: { extra: ['xổ số'] } };
  });
  afterAll(async () => {
    await site?.close();
    await offsite?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a clean site: the first run is its baseline, with zero findings; a news item added: still zero', async () => {
    expect(site.htmlPages().length).toBeGreaterThanOrEqual(60);
    const first = await agentOnce(dir, entry);
    const s = summaryOf(first);
    expect(s.tags).toMatchObject({ site: `127.0.0.1:${site.port}`, name: 'Cổng thông tin điện tử tỉnh', result: 'ok' });
    expect(s.fields).toMatchObject({ up: 1, baseline: 1, pages_flagged: 0, defaced: 0, truncated: 0, pages_crawled: site.htmlPages().length });
    // Ten PDFs are not HTML, /admin/ is refused by robots.txt.
    expect(s.fields.pages_skipped).toBe(11);
    expect(findingsOf(first)).toEqual([]);

    site.scenario.newsAdded = true;
    const second = await agentOnce(dir, entry);
    expect(findingsOf(second)).toEqual([]);
    expect(summaryOf(second).fields).toMatchObject({ up: 1, baseline: 0, pages_flagged: 0, defaced: 0, new_sitemap_urls: 2 });
    expect(summaryOf(second).fields.home_similarity).toBeGreaterThan(0.8);
  }, 120_000);

  it('every injection is found on its page, and nothing else is', async () => {
    Object.assign(site.scenario, { visibleSpam: true, hiddenLinks: true, googlebotOnly: true, searchRedirect: true, newScript: true, obfuscated: true, allowlisted: true });
    const samples = await agentOnce(dir, entry);
    const p = site.paths;
    expect(pairs(samples, site.url)).toEqual(
      [
        `spam_keyword ${p.visibleSpam}`,
        `hidden_spam ${p.hiddenLinks}`,
        `cloaking ${p.googlebotOnly}`,
        `cloaking ${p.searchRedirect}`,
        `offsite_redirect ${p.searchRedirect}`,
        `new_script_domain ${p.newScript}`,
        `spam_keyword ${p.obfuscatedNoMarks}`,
        `spam_keyword ${p.obfuscatedSpaced}`,
        `spam_keyword ${p.obfuscatedZeroWidth}`,
        `spam_keyword ${p.obfuscatedEntities}`,
      ].sort(),
    );
    const f = (kind: string, path: string) => findingsOf(samples).find((s) => s.tags.kind === kind && String(s.fields.url).endsWith(path))!.fields;
    expect(f('spam_keyword', p.visibleSpam).evidence).toContain('nhà cái uy tín');
    expect(f('hidden_spam', p.hiddenLinks).evidence).toMatch(/^left:-9999px/);
    expect(f('cloaking', p.googlebotOnly).evidence).toMatch(/^Googlebot sees: .*nhà cái/);
    expect(f('offsite_redirect', p.searchRedirect).evidence).toBe(`visitor from a search engine: HTTP 302 → ${offsite.url}/khuyen-mai`);
    expect(f('new_script_domain', p.newScript).evidence).toContain('127.0.0.2');
    expect(f('spam_keyword', p.obfuscatedEntities).evidence).toContain('bắn cá đổi thưởng');
    for (const s of findingsOf(samples)) expect(String(s.fields.evidence).length).toBeLessThanOrEqual(300);
    expect(summaryOf(samples).fields).toMatchObject({ up: 1, defaced: 0, cloaked_pages: 2, offsite_redirects: 1, new_script_domains: 1, pages_flagged: 9 });
  }, 120_000);

  it('a defaced start page: defaced=1, a defacement finding, similarity far below the threshold', async () => {
    site.scenario.defaced = true;
    const samples = await agentOnce(dir, entry);
    const s = summaryOf(samples);
    expect(s.fields.defaced).toBe(1);
    expect(s.fields.home_similarity as number).toBeLessThan(0.5);
    const d = findingsOf(samples).find((x) => x.tags.kind === 'defacement')!;
    expect(d.fields.url).toBe(site.url);
    expect(d.fields.evidence).toContain('Hacked by');
    site.scenario.defaced = false;
  }, 120_000);

  it('a crawl trap stops at the limits; an unreachable site is up=0 with a result, and the other site is still checked', async () => {
    const trap = await startTrapSite();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    try {
      const started = Date.now();
      const samples = await agentOnce(dir, { sites: [{ url: `http://127.0.0.1:${deadPort}/` }, { url: trap.url, maxPages: 30, maxDepth: 20 }], budget: '60s' });
      const dead = summaryOf(samples, `127.0.0.1:${deadPort}`);
      expect(dead.tags.result).toBe('refused');
      expect(dead.fields).toMatchObject({ up: 0, pages_crawled: 0 });
      expect(dead.fields.error).toContain('ECONNREFUSED');
      const t = summaryOf(samples, new URL(trap.url).host);
      expect(t.fields).toMatchObject({ up: 1, pages_crawled: 30, truncated: 1 });
      // Three views per page, robots.txt and the sitemap: never more requests than the limits allow.
      expect(trap.requests()).toBeLessThanOrEqual(30 * 4 + 4);
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await trap.close();
    }
  }, 120_000);
});

/** A loopback server with a handler of the test's own, closed after the test. */
/** Waits for `cond`, at most 10 s. */
async function until(cond: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() - t0 > 10_000) throw new Error('condition not met within 10 s');
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

async function runInProcess(sites: Record<string, unknown>[], extra: Record<string, unknown> = {}): Promise<WireSample[]> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-web-unit-'));
  const recorder = new SampleRecorder();
  const config = {
    type: 'web_integrity', interval: '60s', intervalMs: 60_000, timeout: '2s', timeoutMs: 2000, keywords: { extra: [], disable: [] }, trustedDomains: [], stateFile: join(dir, 's.json'),
    maxPageBytes: 2_097_152, budget: '30s', concurrency: 2, searchReferer: 'https://www.google.com.vn/', defaceThreshold: 0.5, views: ['browser', 'googlebot', 'search'],
    sites: sites.map((s) => ({ maxPages: 200, maxDepth: 4, sitemap: true, allow: [], trustedDomains: [], ...s })),
    ...extra,
  };
  try {
    await webIntegrityCheck.run(config as never, { recorder, signal: AbortSignal.timeout(60_000), log: createLogger({ level: 'error' }) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return recorder.drain();
}

describe('web_integrity: polite and bounded against hostile sites', () => {
  it('never more than 4 requests in flight to one site', async () => {
    let inFlight = 0;
    let most = 0;
    const { url, server } = await serve((req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        const n = Number(/\d+/.exec(req.url ?? '')?.[0] ?? 0);
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<html><body>${Array.from({ length: 8 }, (_, k) => `<a href="/p${n * 8 + k + 1}">p</a>`).join('')}</body></html>`);
      }, 15);
    });
    try {
      const samples = await runInProcess([{ url, maxPages: 40, sitemap: false }]);
      expect(summaryOf(samples).fields.pages_crawled).toBe(40);
      expect(most).toBeLessThanOrEqual(4);
      expect(most).toBeGreaterThanOrEqual(3);
    } finally {
      server.close();
    }
  }, 60_000);

  it('a page\'s other views are given up together when cancelled, and the site\'s signal ends every request under way', async () => {
    let asked = 0;
    let closed = 0;
    const { url, server } = await serve((req) => {
      asked++;
      req.socket.on('close', () => closed++);
    }); // never answers
    const site = new AbortController();
    const fetcher = new SiteFetcher({ timeoutMs: 30_000, maxBytes: 65_536, searchReferer: 'https://www.google.com.vn/', signal: site.signal });
    try {
      const cancel = new Cancel();
      const u = new URL(url);
      const others = [fetcher.get(u, 'googlebot', cancel), fetcher.get(u, 'search', cancel)].map((p) => p.then(() => 'answered', (e: NodeJS.ErrnoException) => e.code));
      const browser = fetcher.get(u, 'browser').then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
      await until(() => asked === 3);
      const t0 = Date.now();
      cancel.cancel();
      expect(await Promise.all(others)).toEqual(['ABORT_ERR', 'ABORT_ERR']);
      // Asked after the page gave them up: no request at all.
      expect(await fetcher.get(u, 'search', cancel).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ABORT_ERR');
      site.abort();
      expect(await browser).toBe('ABORT_ERR');
      expect(Date.now() - t0).toBeLessThan(5_000);
      await until(() => closed === 3);
      expect([asked, fetcher.inFlight]).toEqual([3, 0]);
    } finally {
      fetcher.close();
      server.closeAllConnections();
      server.close();
    }
  }, 30_000);

  it('a page over the byte ceiling is cut there; a page that never ends is given up at the timeout; the budget ends the crawl', async () => {
    const { url, server } = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      if (req.url === '/') return res.end('<html><body><a href="/big">big</a><a href="/slow">slow</a><a href="/p1">p1</a></body></html>');
      if (req.url === '/big') {
        // 8 MB of text after an injected phrase: read up to the ceiling only.
        res.write('<html><body><p>nhà cái uy tín</p>');
        for (let i = 0; i < 128; i++) res.write('x'.repeat(65_536));
        return res.end('</body></html>');
      }
      if (req.url === '/slow') return res.write('<html><body>'); // never ends
      const n = Number(/\d+/.exec(req.url ?? '')?.[0] ?? 0);
      setTimeout(() => res.end(`<html><body><a href="/p${n + 1}">next</a></body></html>`), 300);
    });
    try {
      const started = Date.now();
      const samples = await runInProcess([{ url, maxPages: 1000, maxDepth: 1000, sitemap: false }], { maxPageBytes: 262_144, budget: '4s', timeout: '1s', timeoutMs: 1000 });
      const s = summaryOf(samples);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(s.fields).toMatchObject({ up: 1, truncated: 1 });
      expect(findingsOf(samples).map((f) => `${f.tags.kind} ${new URL(String(f.fields.url)).pathname}`)).toEqual(['spam_keyword /big']);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 60_000);

  it('a new sitemap URL with a gambling slug is a finding; meta refresh and script redirects off the site are too', async () => {
    let withNew = false;
    const { url, server } = await serve((req, res) => {
      const base = `http://${req.headers.host}`;
      if (req.url === '/sitemap.xml') {
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(`<urlset><url><loc>${base}/a</loc></url>${withNew ? `<url><loc>${base}/tin-tuc/nha-cai-uy-tin-nhat-2024</loc></url>` : ''}</urlset>`);
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      if (req.url === '/a' && withNew) return res.end('<html><head><meta http-equiv="refresh" content="3;url=http://127.0.0.2:9/casino"></head><body>a</body></html>');
      if (req.url === '/') return res.end(`<html><body><a href="/a">a</a>${withNew ? '<script>window.location = "http://127.0.0.2:9/x"</script>' : ''}</body></html>`);
      res.end('<html><body>trang</body></html>');
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'canhgac-web-sitemap-'));
      const stateFile = join(dir, 's.json');
      await runInProcess([{ url }], { stateFile });
      withNew = true;
      const samples = await runInProcess([{ url }], { stateFile });
      rmSync(dir, { recursive: true, force: true });
      expect(pairs(samples, url)).toEqual(['new_sitemap_url /tin-tuc/nha-cai-uy-tin-nhat-2024', 'offsite_redirect /', 'offsite_redirect /a']);
      expect(summaryOf(samples).fields).toMatchObject({ new_sitemap_urls: 1, offsite_redirects: 2 });
    } finally {
      server.close();
    }
  }, 60_000);
});
