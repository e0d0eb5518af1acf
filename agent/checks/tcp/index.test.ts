import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { parseHostPort } from '../common/probe.ts';
import { tcpCheck } from './index.ts';

// Network safety: every target below is 127.0.0.1 or a name under .invalid (RFC 6761, never resolves).

async function run(targets: string[], timeoutMs = 2000, signal = new AbortController().signal): Promise<WireSample[]> {
  const recorder = new SampleRecorder();
  const config = { type: 'tcp', name: 'test', group: 'lab', interval: '60s', timeout: `${timeoutMs}ms`, intervalMs: 60_000, timeoutMs, targets };
  expect(tcpCheck.validate!(config, 'checks[0]')).toEqual([]);
  await tcpCheck.run(config, { recorder, signal, log: createLogger({ write: () => {} }) });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return recorder.samples;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('tcp check', () => {
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    server = net.createServer((sock) => sock.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reports an accepted connection as up with its connect time', async () => {
    const [s] = await run([`127.0.0.1:${port}`]);
    expect(s.tags).toEqual({ target: '127.0.0.1', port: String(port), name: 'test', group: 'lab', result: 'ok' });
    expect(s.fields.up).toBe(1);
    expect(s.fields.connect_ms).toBeGreaterThan(0);
  });

  it('reports a closed port as refused', async () => {
    const closed = await freePort();
    const [s] = await run([`127.0.0.1:${closed}`]);
    expect(s.tags.result).toBe('refused');
    expect(s.fields).toEqual({ up: 0 });
  });

  it('reports a name that does not resolve as dns_error', async () => {
    const [s] = await run(['no-such-host.invalid:80']);
    expect(s.tags).toMatchObject({ target: 'no-such-host.invalid', port: '80', result: 'dns_error' });
    expect(s.fields.up).toBe(0);
  });

  it('probes many targets in one run, one sample each', async () => {
    const closed = await freePort();
    const samples = await run([`127.0.0.1:${port}`, `127.0.0.1:${closed}`, `[::1]:${closed}`]);
    expect(samples.map((s) => s.tags.result).sort()).toEqual(['ok', 'refused', 'refused']);
  });

  it.skipIf(process.platform !== 'linux')('reports a listener whose accept queue is full as timeout', async () => {
    // A real timeout without leaving the machine: a child process listens with backlog 1 and then
    // blocks its event loop, so it never accepts; once its accept queue holds the two connections
    // Linux allows, the kernel drops further SYNs and a connect hangs until our timeout.
    const child: ChildProcess = spawn(process.execPath, ['-e', `
      const s = require('node:net').createServer();
      s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        console.log(s.address().port);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15000);
        process.exit(0);
      });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fillers: net.Socket[] = [];
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const blockedPort = Number(line.toString().trim());
      // Fill the queue: stop at the first connection that hangs (bounded at 8 attempts).
      for (let i = 0; i < 8; i++) {
        const sock = net.connect(blockedPort, '127.0.0.1');
        fillers.push(sock);
        const connected = await Promise.race([
          once(sock, 'connect').then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
        ]);
        if (!connected) break;
      }
      const started = Date.now();
      const [s] = await run([`127.0.0.1:${blockedPort}`], 400);
      expect(s.tags.result).toBe('timeout');
      expect(s.fields).toEqual({ up: 0 });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
    }
  });

  it('stops quickly and records nothing for probes cut short by the run signal', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await run([`127.0.0.1:${port}`], 2000, ac.signal)).toEqual([]);
  });
});

describe('tcp config validation', () => {
  const base = { type: 'tcp', interval: '60s', timeout: '5s', intervalMs: 60_000, timeoutMs: 5000 };
  it('accepts host:port, IPv4 and bracketed IPv6', () => {
    expect(tcpCheck.validate!({ ...base, targets: ['example.vn:443', '192.0.2.10:22', '[2001:db8::1]:3389', 'sở-y-tế.example.vn:80'] }, 'checks[1]')).toEqual([]);
    expect(parseHostPort('[2001:db8::1]:3389')).toEqual({ host: '2001:db8::1', port: 3389 });
  });
  it('names the entry and says what was expected', () => {
    const issues = tcpCheck.validate!({ ...base, targets: ['example.vn:443', 'x', 'host:0', 'host:70000', '2001:db8::1:80', 'a;rm -rf /:22', '-oProxy:22'] }, 'checks[1]');
    expect(issues.map((i) => i.path)).toEqual(['checks[1].targets[1]', 'checks[1].targets[2]', 'checks[1].targets[3]', 'checks[1].targets[4]', 'checks[1].targets[5]', 'checks[1].targets[6]']);
    expect(issues[0].message).toBe('expected host:port (or [IPv6]:port) with a port from 1 to 65535, got "x"');
  });
});
