// A real HAProxy (Debian's haproxy) on loopback in front of collectors: HTTP mode, X-Forwarded-For
// added, /readyz as the health check, as deploy/ha/haproxy.cfg does it for production.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/influxd.ts';

export interface Haproxy {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `backends` are plain-HTTP collector URLs on loopback (HAProxy checks each one's /readyz every `checkMs`). */
export async function startHaproxy(backends: string[], opts: { checkMs?: number } = {}): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-haproxy-'));
  const port = await freePort();
  const servers = backends.map((b, i) => `  server c${i + 1} ${new URL(b).host} check inter ${opts.checkMs ?? 500} fall 2 rise 1`).join('\n');
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option forwardfor
  option redispatch
  retries 2
frontend collectors
  bind 127.0.0.1:${port}
  default_backend collectors
backend collectors
  balance roundrobin
  option httpchk GET /readyz
${servers}
`,
  );
  let stderr = '';
  const child = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
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
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
