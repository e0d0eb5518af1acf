import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, influxQuery, rows } from '../scripts/lib/influxd.ts';
import { ROOT, waitFor } from './support/agent.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd', 'ping', 'git'] });

/** `npm run demo` from a clone of the committed tree, stopped with Ctrl-C (SIGINT to its process group). */
describe.skipIf(skip)('the demo command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('brings up InfluxDB, the collector, an agent whose samples reach InfluxDB and a mail catcher that gets the alert mail, and stops cleanly', async () => {
    const clone = join(dir, 'canhgac');
    const c = spawnSync('git', ['clone', '-q', '--no-hardlinks', ROOT, clone], { encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    // The dependencies are the ones this checkout installed (npm ci of the same lock file).
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const influxPort = await freePort();
    const mailPort = await freePort();
    const env = {
      ...process.env,
      CANHGAC_DEMO_PORT: String(await freePort()),
      CANHGAC_DEMO_INFLUX_PORT: String(influxPort),
      CANHGAC_DEMO_INFLUX_RPC_PORT: String(await freePort()),
      CANHGAC_DEMO_SMTP_PORT: String(await freePort()),
      CANHGAC_DEMO_MAIL_PORT: String(mailPort),
    };
    const demo = spawn('npm', ['run', 'demo'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    demo.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<string>((r) => demo.once('exit', (code, signal) => r(`${code}/${signal}`)));
    try {
      await waitFor(async () => out.includes('[demo] ready'), { timeoutMs: 60_000, what: `the demo to be ready: ${out}` });
      expect(out).toContain(`InfluxDB        http://127.0.0.1:${influxPort}`);
      const url = `http://127.0.0.1:${influxPort}`;
      const counts = await waitFor(
        async () => {
          const r = rows(await influxQuery(url, 'SELECT count(up) FROM ping, tcp, http', 'canhgac'));
          return r.length === 3 ? r : undefined;
        },
        { timeoutMs: 45_000, what: `ping, tcp and http samples in the demo's InfluxDB: ${out}` },
      );
      expect(counts.every((r) => (r.count as number) > 0)).toBe(true);
      // The closed port raises an alert whose mail lands in the demo's mail catcher.
      expect(out).toContain(`Mail catcher    http://127.0.0.1:${mailPort}/`);
      const mails = await waitFor(
        async () => {
          const list = (await (await fetch(`http://127.0.0.1:${mailPort}/api/mails`)).json()) as { id: number; subject: string }[];
          return list.length > 0 ? list : undefined;
        },
        { timeoutMs: 90_000, what: `an alert mail in the demo's mail catcher: ${out}` },
      );
      expect(mails[0].subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Mất kết nối tới cổng 9 (cố ý đóng) (127.0.0.1:9)');
      expect(await (await fetch(`http://127.0.0.1:${mailPort}/mail/${mails[0].id}`)).text()).toContain('Xác nhận cảnh báo');
    } finally {
      process.kill(-demo.pid!, 'SIGINT');
    }
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
    if (code === 'timeout') process.kill(-demo.pid!, 'SIGKILL');
    // npm itself dies of the SIGINT like any shell job; what matters is that the demo stopped everything it started.
    expect(['0/null', 'null/SIGINT']).toContain(code);
    expect(out).toContain('[demo] stopped');
    await expect(fetch(`http://127.0.0.1:${influxPort}/ping`)).rejects.toThrow();
  }, 240_000);
});
