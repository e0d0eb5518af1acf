// A government portal on loopback for the web_integrity tests, demo and bench: a real node HTTP server
// with menus (a hidden submenu), a news section with pages of old articles, documents with PDFs, a
// sitemap index, robots.txt, a live visitor counter; and switches for each injection scenario. A second
// server on 127.0.0.2 stands in for the off-site domain (a casino landing page, a tracking script).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Scenario {
  newsAdded?: boolean;
  visibleSpam?: boolean;
  hiddenLinks?: boolean;
  googlebotOnly?: boolean;
  searchRedirect?: boolean;
  newScript?: boolean;
  defaced?: boolean;
  obfuscated?: boolean;
  allowlisted?: boolean;
}

export interface WebSite {
  url: string;
  port: number;
  scenario: Scenario;
  /** Pages that each scenario touches, for assertions. */
  paths: Record<keyof Scenario | 'obfuscatedNoMarks' | 'obfuscatedSpaced' | 'obfuscatedZeroWidth' | 'obfuscatedEntities', string>;
  requests: number;
  maxInFlight: number;
  /** Paths (with query) asked for with the browser view's user agent, and how often. */
  browserPaths: Map<string, number>;
  /** Every HTML page the site has (without scenarios), for counting. */
  htmlPages(): string[];
  close(): Promise<void>;
}

const SECTIONS = [
  ['gioi-thieu', 'Giới thiệu', ['lich-su', 'co-cau-to-chuc', 'lanh-dao', 'chuc-nang-nhiem-vu', 'lien-he']],
  ['dich-vu-cong', 'Dịch vụ công', ['thu-tuc-1', 'thu-tuc-2', 'thu-tuc-3', 'thu-tuc-4', 'thu-tuc-5']],
] as const;

const TOPICS = ['Hội nghị triển khai nhiệm vụ', 'Kiểm tra công tác phòng chống thiên tai', 'Tập huấn chuyển đổi số', 'Hội thảo phát triển nông nghiệp', 'Tiếp công dân định kỳ', 'Sơ kết công tác quý', 'Khánh thành công trình giao thông', 'Ra mắt cổng dịch vụ công'];

function article(i: number): { path: string; title: string; year: number } {
  const year = 2018 + (i % 7);
  return { path: `/tin-tuc/${year}/bai-viet-${i}.html`, title: `${TOPICS[i % TOPICS.length]} lần ${i}`, year };
}

function layout(title: string, body: string, extraHead = ''): string {
  const menu = SECTIONS.map(([slug, name, subs]) => `<li><a href="/${slug}/">${name}</a><ul class="submenu">${subs.map((s) => `<li><a href="/${slug}/${s}">${s.replace(/-/g, ' ')}</a></li>`).join('')}</ul></li>`).join('');
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>${title} - Cổng thông tin điện tử tỉnh</title>
<meta name="description" content="Cổng thông tin điện tử của Ủy ban nhân dân tỉnh">
<style>.submenu{display:none} nav li:hover .submenu{display:block}</style>${extraHead}</head>
<body><header><h1>Ủy ban nhân dân tỉnh</h1><nav><ul><li><a href="/">Trang chủ</a></li>${menu}<li><a href="/tin-tuc/">Tin tức</a></li><li><a href="/van-ban/">Văn bản</a></li></ul></nav></header>
<main>${body}</main>
<footer><p>Bản quyền thuộc Ủy ban nhân dân tỉnh. Địa chỉ: số 1 đường Lê Lợi.</p><p>Lượt truy cập: <span class="counter">${Math.floor(Math.random() * 1e6)}</span></p><a href="/admin/">Quản trị</a></footer></body></html>`;
}

const SPAM_VISIBLE = '<p>Top 10 nhà cái uy tín nhất Việt Nam 2024: nổ hũ đổi thưởng, tài xỉu online, bắn cá đổi thưởng. Đăng ký ngay nhận 100K.</p>';

export class SiteHandler {
  constructor(
    readonly scenario: Scenario,
    private readonly news: number,
    private readonly offsite: string,
  ) {}

  articles(): number[] {
    const n = this.scenario.newsAdded ? this.news + 1 : this.news;
    return Array.from({ length: n }, (_, i) => n - i);
  }

  paths() {
    return {
      newsAdded: article(this.news + 1).path,
      visibleSpam: article(3).path,
      hiddenLinks: article(7).path,
      googlebotOnly: '/gioi-thieu/lich-su',
      searchRedirect: '/dich-vu-cong/thu-tuc-3',
      newScript: '/',
      defaced: '/',
      obfuscated: article(11).path,
      obfuscatedNoMarks: article(11).path,
      obfuscatedSpaced: article(12).path,
      obfuscatedZeroWidth: article(13).path,
      obfuscatedEntities: article(14).path,
      allowlisted: '/dich-vu-cong/thu-tuc-5',
    };
  }

  htmlPages(): string[] {
    const pages = ['/', '/tin-tuc/', '/van-ban/', ...SECTIONS.flatMap(([s, , subs]) => [`/${s}/`, ...subs.map((x) => `/${s}/${x}`)])];
    for (let p = 1; p <= Math.ceil(this.articles().length / 10); p++) pages.push(`/tin-tuc/?page=${p}`);
    for (const i of this.articles()) pages.push(article(i).path);
    for (let d = 1; d <= 10; d++) pages.push(`/van-ban/so-${d}.html`);
    return pages;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://site');
    const ua = String(req.headers['user-agent'] ?? '');
    const referer = String(req.headers.referer ?? '');
    const send = (status: number, body: string, type = 'text/html; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (u.pathname === '/robots.txt') return send(200, `User-agent: *\nDisallow: /admin/\nSitemap: http://${req.headers.host}/sitemap.xml\n`, 'text/plain');
    if (u.pathname === '/sitemap.xml') return send(200, sitemapIndex(req), 'application/xml');
    if (u.pathname === '/sitemap-pages.xml' || u.pathname === '/sitemap-news.xml') return send(200, this.sitemap(req, u.pathname.includes('news')), 'application/xml');
    if (u.pathname.endsWith('.pdf')) return send(200, '%PDF-1.4 fake document', 'application/pdf');
    if (this.scenario.searchRedirect && u.pathname === this.paths().searchRedirect && /google\./.test(referer)) {
      res.writeHead(302, { location: `${this.offsite}/khuyen-mai` });
      return void res.end();
    }
    const body = this.page(u, ua);
    if (body === undefined) return send(404, layout('Không tìm thấy', '<p>Trang không tồn tại.</p>'));
    send(200, body);
  }

  private sitemap(req: IncomingMessage, news: boolean): string {
    const base = `http://${req.headers.host}`;
    const pages = this.htmlPages().filter((p) => (news ? p.startsWith('/tin-tuc/') && p.endsWith('.html') : !(p.startsWith('/tin-tuc/') && p.endsWith('.html'))));
    return `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${pages.map((p) => `<url><loc>${base}${p.replace(/&/g, '&amp;')}</loc></url>`).join('')}</urlset>`;
  }

  private page(u: URL, ua: string): string | undefined {
    const p = u.pathname;
    if (p === '/') return this.home();
    if (p === '/tin-tuc/') return this.newsList(Number(u.searchParams.get('page') ?? '1'));
    if (p === '/van-ban/') return layout('Văn bản', `<ul>${Array.from({ length: 10 }, (_, d) => `<li><a href="/van-ban/so-${d + 1}.html">Quyết định số ${d + 1}/QĐ-UBND</a></li>`).join('')}</ul>`);
    const doc = /^\/van-ban\/so-(\d+)\.html$/.exec(p);
    if (doc) return layout(`Quyết định số ${doc[1]}`, `<p>Quyết định về việc ban hành kế hoạch năm.</p><a href="/files/vb-${doc[1]}.pdf">Tải về (PDF)</a>`);
    for (const [slug, name, subs] of SECTIONS) {
      if (p === `/${slug}/`) return layout(name, `<ul>${subs.map((s) => `<li><a href="/${slug}/${s}">${s}</a></li>`).join('')}</ul>`);
      const sub = subs.find((s) => p === `/${slug}/${s}`);
      if (sub) return this.subPage(p, name, sub, ua);
    }
    const a = /^\/tin-tuc\/\d+\/bai-viet-(\d+)\.html$/.exec(p);
    if (a && this.articles().includes(Number(a[1])) && article(Number(a[1])).path === p) return this.articlePage(Number(a[1]));
    return undefined;
  }

  private home(): string {
    if (this.scenario.defaced) {
      return `<!doctype html><html><head><title>Hacked by Anonymous</title></head><body style="background:#000;color:#0f0"><h1>Hacked by Anonymous Ghost</h1><p>Your security is low. Greetz to all.</p></body></html>`;
    }
    const latest = this.articles().slice(0, 10).map((i) => `<li><a href="${article(i).path}">${article(i).title}</a></li>`).join('');
    const script = this.scenario.newScript ? `<script src="${this.offsite}/track.js"></script>` : '';
    return layout('Trang chủ', `<h2>Tin mới</h2><ul class="news">${latest}</ul><p><a href="/tin-tuc/">Xem tất cả tin tức</a></p><p>Chào mừng đến với cổng thông tin điện tử của tỉnh.</p>`, script);
  }

  private newsList(page: number): string | undefined {
    const all = this.articles();
    const pages = Math.ceil(all.length / 10);
    if (!(page >= 1 && page <= pages)) return undefined;
    const items = all.slice((page - 1) * 10, page * 10).map((i) => `<li><a href="${article(i).path}">${article(i).title}</a></li>`).join('');
    const nav = Array.from({ length: pages }, (_, k) => `<a href="/tin-tuc/?page=${k + 1}">${k + 1}</a>`).join(' ');
    return layout(`Tin tức trang ${page}`, `<ul>${items}</ul><div class="paging">${nav}</div>`);
  }

  private subPage(p: string, section: string, sub: string, ua: string): string {
    let body = `<h2>${section}: ${sub}</h2><p>Nội dung trang ${sub} của ${section}. Cơ quan thực hiện theo quy định của pháp luật.</p>`;
    if (this.scenario.googlebotOnly && p === this.paths().googlebotOnly && /Googlebot/.test(ua)) body += SPAM_VISIBLE;
    if (this.scenario.allowlisted && p === this.paths().allowlisted) body += '<p>Thông báo về kinh doanh casino và kết quả xổ số kiến thiết kỳ này.</p>';
    return layout(sub, body);
  }

  private articlePage(i: number): string {
    const a = article(i);
    let body = `<h2>${a.title}</h2><p>Ngày ${1 + (i % 28)}/${1 + (i % 12)}/${a.year}, Ủy ban nhân dân tỉnh tổ chức ${a.title.toLowerCase()}. Các sở, ngành và địa phương tham dự đầy đủ.</p><p><a href="/tin-tuc/">Quay lại</a></p>`;
    const paths = this.paths();
    if (this.scenario.visibleSpam && a.path === paths.visibleSpam) body += SPAM_VISIBLE;
    if (this.scenario.hiddenLinks && a.path === paths.hiddenLinks) {
      body += `<div style="position:absolute;left:-9999px"><a href="${this.offsite}/nha-cai">nhà cái uy tín</a> <a href="${this.offsite}/casino">casino trực tuyến</a> <a href="${this.offsite}/slot">slot</a></div>`;
    }
    if (this.scenario.obfuscated) {
      if (a.path === paths.obfuscatedNoMarks) body += '<p>Link vao nha cai uy tin nhat hom nay</p>';
      if (a.path === paths.obfuscatedSpaced) body += '<p>Chơi n . h . à   c . á . i ngay hôm nay</p>';
      if (a.path === paths.obfuscatedZeroWidth) body += '<p>Chơi nổ\u200b hũ\u200c đổi\u200d thưởng</p>';
      if (a.path === paths.obfuscatedEntities) body += '<p>&#116;&#224;&#105; &#120;&#7881;&#117; online: b&#7855;n c&aacute; &#273;&#7893;i th&#432;&#7903;ng</p>';
    }
    return layout(a.title, body);
  }
}

function sitemapIndex(req: IncomingMessage): string {
  const base = `http://${req.headers.host}`;
  return `<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${base}/sitemap-pages.xml</loc></sitemap><sitemap><loc>${base}/sitemap-news.xml</loc></sitemap></sitemapindex>`;
}

async function listen(server: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

const closeServer = (s: Server) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));

/** The off-site domain: a casino landing page and a tracking script on 127.0.0.2. */
export async function startOffsite(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const js = req.url?.endsWith('.js');
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(js ? 'console.log(1)' : '<html><head><title>Nhà cái uy tín</title></head><body><h1>Casino trực tuyến</h1></body></html>');
  });
  const port = await listen(server, '127.0.0.2');
  return { url: `http://127.0.0.2:${port}`, close: () => closeServer(server) };
}

/** The portal on 127.0.0.1 (a free port), `news` articles (40 by default: about 70 HTML pages). */
export async function startWebSite(opts: { offsite: string; news?: number; scenario?: Scenario; port?: number }): Promise<WebSite> {
  const handler = new SiteHandler(opts.scenario ?? {}, opts.news ?? 40, opts.offsite);
  let inFlight = 0;
  const site = { requests: 0, maxInFlight: 0 };
  const browserPaths = new Map<string, number>();
  const server = createServer((req, res) => {
    site.requests++;
    if (/Chrome/.test(String(req.headers['user-agent'])) && !req.headers.referer) browserPaths.set(req.url ?? '', (browserPaths.get(req.url ?? '') ?? 0) + 1);
    inFlight++;
    site.maxInFlight = Math.max(site.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    handler.handle(req, res);
  });
  const port = await listen(server, '127.0.0.1', opts.port);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    scenario: handler.scenario,
    paths: handler.paths(),
    get requests() {
      return site.requests;
    },
    get maxInFlight() {
      return site.maxInFlight;
    },
    browserPaths,
    htmlPages: () => handler.htmlPages(),
    close: () => closeServer(server),
  };
}

/**
 * A crawl trap: an endless calendar, links that differ only by a session id, and ever deeper
 * repeated paths. Every page links to more pages than any limit allows.
 */
export async function startTrapSite(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const u = new URL(req.url ?? '/', 'http://trap');
    const day = Number(u.searchParams.get('d') ?? '0');
    const sid = Math.random().toString(36).slice(2);
    const links = [`/lich?d=${day + 1}`, `/lich?d=${day + 2}&PHPSESSID=${sid}`, `${u.pathname.replace(/\/$/, '')}/a/b/`, `/tin?sid=${sid}`];
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<html><head><title>Lịch ngày ${day}</title></head><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</body></html>`);
  });
  const port = await listen(server, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/`, requests: () => requests, close: () => closeServer(server) };
}
