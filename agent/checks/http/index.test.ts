import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { httpCheck } from './index.ts';

// Network safety: every URL below points at 127.0.0.1, or at a name under .invalid that never resolves.

type Own = { method?: 'GET' | 'HEAD'; expectStatus?: number | number[]; ca?: string; followRedirects?: boolean };

async function run(targets: string[], own: Own = {}, timeoutMs = 3000): Promise<{ samples: WireSample[]; logs: string[] }> {
  const recorder = new SampleRecorder();
  const logs: string[] = [];
  const config = { type: 'http', name: 'portal', interval: '60s', timeout: `${timeoutMs}ms`, intervalMs: 60_000, timeoutMs, targets, method: 'GET' as const, followRedirects: false, ...own };
  expect(httpCheck.validate!(config, 'checks[0]')).toEqual([]);
  await httpCheck.run(config, { recorder, signal: new AbortController().signal, log: createLogger({ json: true, write: (l) => logs.push(l) }) });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return { samples: recorder.samples, logs };
}

const handler: http.RequestListener = (req, res) => {
  if (req.url === '/fail') return void res.writeHead(500).end('boom');
  if (req.url === '/moved') return void res.writeHead(302, { location: '/' }).end();
  if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000).unref();
  if (req.url === '/stall') {
    res.writeHead(200).write('first part, then nothing');
    return void setTimeout(() => res.end(), 2000).unref();
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('xin chào');
};

async function listen(server: http.Server | https.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('http check', () => {
  let dir: string;
  let plain: http.Server;
  let secure: https.Server;
  let base: string;
  let secureBase: string;
  let certFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-http-'));
    certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    plain = http.createServer(handler);
    secure = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, handler);
    base = `http://127.0.0.1:${await listen(plain)}`;
    secureBase = `https://127.0.0.1:${await listen(secure)}`;
  });
  afterAll(() => {
    plain?.closeAllConnections();
    secure?.closeAllConnections();
    plain?.close();
    secure?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a 200 as up with status, time and size', async () => {
    const { samples: [s] } = await run([`${base}/`]);
    expect(s.tags).toEqual({ url: `${base}/`, name: 'portal', result: 'ok' });
    expect(s.fields).toMatchObject({ up: 1, status_code: 200, content_bytes: Buffer.byteLength('xin chào') });
    expect(s.fields.response_ms).toBeGreaterThan(0);
  });

  it('reports a 500 as down with its status code', async () => {
    const { samples: [s] } = await run([`${base}/fail`]);
    expect(s.tags.result).toBe('error');
    expect(s.fields).toMatchObject({ up: 0, status_code: 500 });
  });

  it('honours expectStatus and HEAD', async () => {
    const { samples } = await run([`${base}/fail`, `${base}/`], { expectStatus: [500], method: 'HEAD' });
    expect(samples.map((s) => [s.tags.url, s.fields.up, s.fields.status_code, s.fields.content_bytes])).toEqual(
      expect.arrayContaining([[`${base}/fail`, 1, 500, 0], [`${base}/`, 0, 200, 0]]),
    );
  });

  it('does not follow redirects unless asked', async () => {
    const { samples: [a] } = await run([`${base}/moved`]);
    expect(a.fields).toMatchObject({ up: 1, status_code: 302 });
    const { samples: [b] } = await run([`${base}/moved`], { followRedirects: true });
    expect(b.fields).toMatchObject({ up: 1, status_code: 200 });
  });

  it('reports a self-signed certificate without ca as tls_error', async () => {
    const { samples: [s] } = await run([`${secureBase}/`]);
    expect(s.tags.result).toBe('tls_error');
    expect(s.fields).toEqual({ up: 0 });
  });

  it('trusts a certificate from the ca file', async () => {
    const { samples: [s] } = await run([`${secureBase}/`], { ca: certFile });
    expect(s.tags.result).toBe('ok');
    expect(s.fields).toMatchObject({ up: 1, status_code: 200 });
  });

  it('reports an unreadable ca file as error and says so in the log', async () => {
    const { samples: [s], logs } = await run([`${secureBase}/`], { ca: join(dir, 'missing.pem') });
    expect(s.tags.result).toBe('error');
    expect(logs.some((l) => l.includes('cannot read the ca file'))).toBe(true);
  });

  it('reports a slow answer as timeout', async () => {
    const { samples: [s] } = await run([`${base}/slow`], {}, 300);
    expect(s.tags.result).toBe('timeout');
    expect(s.fields).toEqual({ up: 0 });
  });

  it('reports a body that stops coming as timeout', async () => {
    const { samples: [s] } = await run([`${base}/stall`], {}, 300);
    expect(s.tags.result).toBe('timeout');
    expect(s.fields).toEqual({ up: 0 });
  });

  it('reports refused and dns_error', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    const { samples } = await run([`http://127.0.0.1:${port}/`, 'http://no-such-portal.invalid/']);
    expect(Object.fromEntries(samples.map((s) => [s.tags.url, s.tags.result]))).toEqual({
      [`http://127.0.0.1:${port}/`]: 'refused',
      'http://no-such-portal.invalid/': 'dns_error',
    });
  });
});

describe('http config validation', () => {
  const base = { type: 'http', interval: '60s', timeout: '5s', intervalMs: 60_000, timeoutMs: 5000, method: 'GET' as const, followRedirects: false };
  it('accepts http and https URLs, IDN and IPv6 hosts', () => {
    expect(httpCheck.validate!({ ...base, targets: ['https://example.vn/', 'http://192.0.2.10:8080/health', 'https://[2001:db8::1]/', 'https://sở-y-tế.example.vn/'] }, 'checks[2]')).toEqual([]);
  });
  it('names the entry and says what was expected', () => {
    const issues = httpCheck.validate!({ ...base, targets: ['example.vn', 'ftp://example.vn/', 'https://u:p@example.vn/'] }, 'checks[2]');
    expect(issues).toEqual([
      { path: 'checks[2].targets[0]', message: 'expected a URL such as https://example.vn/, got "example.vn"' },
      { path: 'checks[2].targets[1]', message: 'expected a URL starting with http:// or https://, got "ftp://example.vn/"' },
      { path: 'checks[2].targets[2]', message: 'expected a URL without a user name or password (they would end up in tags and logs)' },
    ]);
  });
});
