// The demo's mail catcher web page (port 8025 by default), so people can read the alert mails the
// collector sent without a mail client.
import { createServer, type Server } from 'node:http';
import type { MailServer } from './mail-server.ts';

export interface MailViewer {
  url: string;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const when = (ms: number) => new Date(ms).toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' });

/**
 * The demo's mail catcher page: what the collector mailed, newest first, on loopback. A mail's HTML part
 * is served on its own URL with a sandboxing CSP (no script, no network), as any mail client would.
 */
export async function startMailViewer(mails: MailServer, port: number): Promise<MailViewer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const page = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      res.end(`<!doctype html><html lang="vi"><meta charset="utf-8"><title>Canh Gác: thư đã gửi</title>
<style>body{font:15px system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}</style>
${body}</html>`);
    };
    if (path === '/api/mails') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(mails.mails.map((m, i) => ({ id: i + 1, at: m.at, from: m.from, to: m.to, subject: m.subject }))));
    }
    if (path === '/') {
      const rows = mails.mails
        .map((m, i) => ({ m, id: i + 1 }))
        .reverse()
        .map(({ m, id }) => `<tr><td>${esc(when(m.at))}</td><td>${esc(m.to.join(', '))}</td><td><a href="/mail/${id}">${esc(m.subject || '(không tiêu đề)')}</a></td></tr>`)
        .join('');
      return page(200, `<h1>Thư collector đã gửi (${mails.mails.length})</h1><p>SMTP 127.0.0.1:${mails.port}. Tải lại trang để xem thư mới.</p>
<table><tr><th>Lúc</th><th>Người nhận</th><th>Tiêu đề</th></tr>${rows || '<tr><td colspan="3">Chưa có thư nào.</td></tr>'}</table>`);
    }
    const m = /^\/mail\/(\d+)(\/html|\.eml)?$/.exec(path);
    const mail = m ? mails.mails[Number(m[1]) - 1] : undefined;
    if (!m || !mail) return page(404, '<p>Không có thư này. <a href="/">Danh sách</a></p>');
    if (m[2] === '.eml') {
      res.writeHead(200, { 'content-type': 'message/rfc822', 'content-disposition': `attachment; filename="canhgac-${m[1]}.eml"` });
      return res.end(mail.raw);
    }
    if (m[2] === '/html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:" });
      return res.end(mail.html || `<pre>${esc(mail.text)}</pre>`);
    }
    return page(
      200,
      `<p><a href="/">← Danh sách</a> · <a href="/mail/${m[1]}/html">Xem dạng HTML</a> · <a href="/mail/${m[1]}.eml">Tải .eml</a></p>
<h1>${esc(mail.subject)}</h1><p>Từ ${esc(mail.from)} tới ${esc(mail.to.join(', '))}, ${esc(when(mail.at))}</p><pre>${esc(mail.text)}</pre>`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
