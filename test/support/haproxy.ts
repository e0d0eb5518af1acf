// A real HAProxy (Debian's haproxy) on loopback in front of collectors: HTTP mode, X-Forwarded-For
// added, /readyz as the health check, as deploy/ha/haproxy.cfg does it for production; optionally its
// request log, which tells a test which collector answered which client.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/influxd.ts';

export interface Haproxy {
  url: string;
  process: ChildProcess;
  /**
   * With `requestLog`: every request HAProxy finished (the newest 20,000), with the server that answered
   * (`c1`, `c2`, … in the order of `backends`; `<NOSRV>` for none) and a SHA-1 of its Authorization header
   * (`credentialKey`), so a test can tell which collector carried which client.
   */
  requests: HaproxyRequest[];
  stop(): Promise<void>;
}

export interface HaproxyRequest {
  /** When the line was read (HAProxy logs a request as it ends). */
  at: number;
  /** When HAProxy got the request's first byte: `at` less its active time (%Ta). */
  startedAt: number;
  server: string;
  /** -1 when no answer came. */
  status: number;
  path: string;
  /** credentialKey() of the Authorization header, '' without one. */
  key: string;
}

const MAX_LOGGED = 20_000;

/** How a request's Authorization header appears in `requests` (HAProxy's sha1,hex: upper case). */
export function credentialKey(authorization: string): string {
  return createHash('sha1').update(authorization).digest('hex').toUpperCase();
}

/**
 * `backends` are plain-HTTP collector URLs on loopback (HAProxy checks each one's /readyz every `checkMs`);
 * `weights` (one per backend, HAProxy's 1-256) share the round robin unevenly.
 */
export async function startHaproxy(backends: string[], opts: { checkMs?: number; weights?: number[]; requestLog?: boolean } = {}): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-haproxy-'));
  const port = await freePort();
  const weight = (i: number) => (opts.weights?.[i] !== undefined ? ` weight ${opts.weights[i]}` : '');
  const servers = backends.map((b, i) => `  server c${i + 1} ${new URL(b).host} check inter ${opts.checkMs ?? 500} fall 2 rise 1${weight(i)}`).join('\n');
  // A hash of the credential, never the credential, is what reaches the log.
  const log = opts.requestLog
    ? { global: '  log stdout format raw local0\n', defaults: '  log global\n', frontend: '  http-request capture req.hdr(authorization),sha1,hex len 40\n  log-format "%s %ST %Ta %HP %hr"\n' }
    : { global: '', defaults: '', frontend: '' };
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  maxconn 2000
${log.global}defaults
  mode http
${log.defaults}  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option forwardfor
  option redispatch
  retries 2
frontend collectors
  bind 127.0.0.1:${port}
${log.frontend}  default_backend collectors
backend collectors
  balance roundrobin
  option httpchk GET /readyz
${servers}
`,
  );
  let stderr = '';
  const child = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', opts.requestLog ? 'pipe' : 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const requests: HaproxyRequest[] = [];
  if (opts.requestLog) readRequestLog(child, requests);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${url} within 10 s: ${stderr}`);
    const up = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    process: child,
    requests,
    stop: () => stopHaproxy(child, dir),
  };
}

/** Stops an HAProxy this test started (waiting for it to exit) and removes its directory. */
export async function stopHaproxy(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Lines such as `c2 200 12 /api/v1/samples {3F2A…}` (log-format above) into `into`, bounded. */
function readRequestLog(child: ChildProcess, into: HaproxyRequest[]): void {
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const at = Date.now();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!.slice(-1000);
    for (const line of lines) {
      const m = /^(\S+) (-?\d+) (-?\d+) (\S*) \{([0-9A-F]*)\}/.exec(line);
      if (!m) continue;
      into.push({ at, startedAt: at - Math.max(0, Number(m[3])), server: m[1], status: Number(m[2]), path: m[4], key: m[5] });
      if (into.length > MAX_LOGGED) into.splice(0, into.length - MAX_LOGGED);
    }
  });
}
