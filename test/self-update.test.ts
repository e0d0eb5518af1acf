// Signed self-update with real single executables built here (0.1.0 running, a 0.2.0, a 0.3.0 that exits
// at start, a 0.4.0 whose `run` cannot reach anything, a 0.9.0 that dies before the agent's code runs), a
// real collector and influxd: every refusal leaves the running executable untouched; while a build
// downloads the agent answers other commands; the bad builds are rolled back and reported, before the
// handover or after it (by the build's own watch, or by the systemd unit's guard); the good one, after an
// interrupted download resumed, is verified, swapped and restarted through the unit's own start hook
// (ExecStartPre) and restart rule (exit 75 restarts).
// Network safety: everything on 127.0.0.1 (the collector, a cutting proxy in front of it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { bundleAgent, postjectPath, singleExecutable } from '../deploy/agent/build-agent.ts';
import { main as collectorMain } from '../collector/cli/index.ts';
import { releaseFile } from '../collector/releases/store.ts';
import { createAdminToken } from '../collector/state/admin-tokens.ts';
import { createCommand, getCommands } from '../collector/state/commands.ts';
import { createUser } from '../collector/state/users.ts';
import { AGENT_RUNNING_HEADER, AGENT_UPDATE_HEADER, PATHS, VERSION, type UpdateAgentStatus } from '../protocol/index.ts';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { ROOT, waitFor } from './support/agent.ts';
import { consoleLogin } from './support/console-session.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { inCI, missing } from './support/require.ts';

const PLATFORM = `${process.platform}-${process.arch}`;

function why(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the single executable is built for linux-x64 here';
  const m = missing({ commands: ['influxd'] });
  if (m) return m;
  if (postjectPath()) return undefined;
  if (inCI) throw new Error('CI=true and postject is not installed (npm install)');
  return 'needs postject';
}

/** Every command but --version exits 3 at once. */
const EXIT_AT_START = 'if(!process.argv.includes("--version")){process.stderr.write("broken build\\n");process.exit(3);}';
/** `run` dies before any of the agent's code (a damaged runtime, seen from outside); --version and update-check work. */
const DIES_AT_RUN = 'if(process.argv[2]==="run"){process.exit(70);}';
/** `run` cannot reach anything (update-check still can): healthy before the handover, not after. */
const BROKEN_RUN = 'if(process.argv[2]==="run"){require("node:http").request=function(){throw new Error("broken network stack")};}';

/** A single executable of this source saying `version`, with `prelude` run first. */
async function build(dir: string, version: string, prelude = ''): Promise<string> {
  const bundle = await bundleAgent(dir);
  let text = readFileSync(bundle, 'utf8');
  const pattern = new RegExp(`\\bVERSION\\s*=\\s*"${VERSION.replaceAll('.', '\\.')}"`, 'g');
  expect(text.match(pattern)).toHaveLength(1);
  text = text.replace(pattern, `VERSION="${version}"`);
  if (prelude) text = text.replace('"use strict";', `"use strict";${prelude}`);
  writeFileSync(bundle, text);
  return singleExecutable(bundle, dir);
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await collectorMain(argv);
    return { code, out: [...out.mock.calls, ...err.mock.calls].map((c) => String(c[0])).join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/**
 * A loopback proxy to the collector that cuts the first download of `cutPath` after `cutAfter` bytes,
 * can hold a download part way until released, and keeps the update and running headers of each poll.
 * Like a load balancer without abortonclose, it keeps a request to the collector open after its client left.
 */
function cuttingProxy(target: string, cutPath: string, cutAfter: number) {
  let cuts = 0;
  const ranges: string[] = [];
  const polls: string[] = [];
  let hold: { path: string; after: number; held?: () => void } | undefined;
  const server = http.createServer((req, res) => {
    if (req.url === cutPath) ranges.push(String(req.headers.range ?? 'none'));
    if (req.url?.startsWith(PATHS.agentCommands + '?')) polls.push(`${req.headers[AGENT_UPDATE_HEADER] ?? ''} running=${req.headers[AGENT_RUNNING_HEADER] ?? ''}`);
    const up = http.request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (req.url === cutPath && cuts === 0) {
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          if (sent >= cutAfter) return;
          sent += chunk.length;
          res.write(chunk);
          if (sent >= cutAfter) {
            cuts++;
            upRes.destroy();
            res.socket?.destroy();
          }
        });
      } else if (hold && req.url === hold.path && !hold.held) {
        const h = hold;
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          res.write(chunk);
          sent += chunk.length;
          if (sent >= h.after && !h.held) {
            upRes.pause();
            h.held = () => upRes.resume();
          }
        });
        upRes.on('end', () => res.end());
      } else upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise<{ url: string; cuts: () => number; ranges: string[]; polls: string[]; holdDownload: (path: string, after: number) => void; holding: () => boolean; release: () => void; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        cuts: () => cuts,
        ranges,
        polls,
        holdDownload: (path, after) => (hold = { path, after }),
        holding: () => hold?.held !== undefined,
        release: () => {
          hold?.held?.();
          hold = undefined;
        },
        close: () => server.close(),
      }),
    ),
  );
}

describe.skipIf(why())('signed self-update with real single executables', () => {
  let work: string;
  let influx: Influxd;
  let tc: TestCollector;
  let proxy: Awaited<ReturnType<typeof cuttingProxy>>;
  let admin: string;
  let agentId: string;
  const exe = () => join(work, 'opt', 'canhgac-agent');
  const builds: Record<string, string> = {};
  let key: string;
  let otherKey: string;
  let runs: { version: string; code: number | null }[] = [];
  let child: ChildProcess | undefined;
  let output = '';
  let stopping = false;

  /** The unit's ExecStartPre line (self-update's guard), its paths pointed at this test's files. */
  function startHook(): string[] {
    const unit = readFileSync(join(ROOT, 'deploy', 'systemd', 'canhgac-agent.service'), 'utf8');
    const line = /^ExecStartPre=-(.+)$/m.exec(unit)![1];
    return line
      .replace('/opt/canhgac/canhgac-agent-guard', join(ROOT, 'deploy', 'agent', 'canhgac-agent-guard'))
      .replace('/opt/canhgac/canhgac-agent', exe())
      .replace('/var/lib/canhgac/update', join(work, 'state', 'update'))
      .split(' ');
  }

  /** deploy/systemd/canhgac-agent.service as systemd runs it: its ExecStartPre before each start, a restart after a non-zero exit other than 2. */
  function supervise(config: string): void {
    const hook = startHook();
    const start = () => {
      const pre = spawnSync(hook[0], hook.slice(1), { encoding: 'utf8', timeout: 10_000 });
      output += pre.stderr;
      const version = readFileSync(exe()).includes(Buffer.from('VERSION="0.2.0"')) ? '0.2.0' : 'running';
      child = spawn(exe(), ['run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child.on('exit', (code) => {
        runs.push({ version, code });
        if (!stopping && code !== 0 && code !== 2) setTimeout(start, 200);
      });
    };
    start();
  }

  const status = async (): Promise<UpdateAgentStatus | undefined> => {
    const res = await fetch(`${tc.url}/api/v1/releases/agents`, { headers: { authorization: `Bearer ${admin}` } });
    return ((await res.json()) as { agents: UpdateAgentStatus[] }).agents.find((a) => a.agent === agentId);
  };

  async function publish(version: string, file: string, opts: { signWith?: string; signatureOf?: string } = {}): Promise<void> {
    const sig = join(work, `${version}.sig`);
    const s = await cli(['release', 'sign', '--key', opts.signWith ?? key, '--file', opts.signatureOf ?? file, '--out', sig]);
    expect(s.code, s.out).toBe(0);
    const a = await cli(['release', 'add', '--config', tc.configFile, '--file', file, '--signature', sig, '--version', version, '--platform', PLATFORM]);
    expect(a.code, a.out).toBe(0);
  }

  async function rollout(version: string): Promise<void> {
    const res = await fetch(`${tc.url}/api/v1/releases/rollout`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ version }) });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'canhgac-self-update-'));
    const started = Date.now();
    for (const [name, version, prelude] of [['current', VERSION, ''], ['new', '0.2.0', ''], ['broken', '0.3.0', EXIT_AT_START], ['brokenRun', '0.4.0', BROKEN_RUN], ['diesAtRun', '0.9.0', DIES_AT_RUN]] as const) {
      const dir = join(work, 'build', name);
      builds[name] = await build(dir, version, prelude);
    }
    console.log(`five single executables built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url);
    admin = await createAdminToken(tc.collector.state, 'self-update-admin', 'admin');
    proxy = await cuttingProxy(tc.url, `/api/v1/agent/releases/0.2.0/${PLATFORM}`, 8 * 1024 * 1024);
    key = join(work, 'release.key');
    otherKey = join(work, 'other.key');
    for (const k of [key, otherKey]) expect((await cli(['release', 'keygen', '--out', k])).code).toBe(0);
    mkdirSync(join(work, 'opt'));
    mkdirSync(join(work, 'state'));
    copyFileSync(builds.current, exe());
    const enrolled = await tc.enrolAgent('so-y-te', 'pc-update');
    agentId = enrolled.agentId;
    writeFileSync(join(work, 'state', 'token'), enrolled.token, { mode: 0o600 });
    const config = join(work, 'agent.yaml');
    writeFileSync(
      config,
      stringify({
        collector: { url: proxy.url, tokenFile: join(work, 'state', 'token') },
        agent: { maxSplay: '0s', logLevel: 'info' },
        checks: [{ type: 'host', interval: '10s' }],
        selfUpdate: { publicKey: readFileSync(`${key}.pub`, 'utf8').trim(), healthTimeout: '12s', downloadTimeout: '60s' },
      }),
    );
    supervise(config);
    await waitFor(async () => (await status())?.version === VERSION, { timeoutMs: 30_000, what: 'the agent reporting its version' });
  }, 180_000);

  afterAll(async () => {
    stopping = true;
    child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    proxy?.close();
    await tc?.close();
    await influx?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Rolls `version` out and waits for the agent's answer; the running executable must be the one it was. */
  async function refused(version: string, reason: RegExp, state = 'refused'): Promise<void> {
    const before = sha(exe());
    const exits = runs.length;
    await rollout(version);
    await answered(version, reason, state, before, exits);
  }

  async function answered(version: string, reason: RegExp, state: string, before: string, exits: number): Promise<void> {
    const s = await waitFor(async () => {
      const x = await status();
      return x?.state === state && x.message ? x : undefined;
    }, { timeoutMs: 60_000, what: `the agent's answer to ${version}` });
    expect(s.message).toMatch(reason);
    expect(s.version).toBe(VERSION);
    expect(sha(exe())).toBe(before);
    expect(runs.length).toBe(exits);
  }

  const offers = (version: string) => (tc.collector.db!.prepare("SELECT COUNT(*) AS n FROM agent_commands WHERE kind = 'self-update' AND payload LIKE ?").get(`%"${version}"%`) as { n: number }).n;

  it('while a build downloads the agent answers other commands; a file changed on the collector (SHA-256) is then refused, the running version untouched', async () => {
    await publish('0.5.0', builds.new);
    const stored = releaseFile(tc.config.dataDir, '0.5.0', PLATFORM);
    const bytes = readFileSync(stored);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(stored, bytes);
    const before = sha(exe());
    const exits = runs.length;
    proxy.holdDownload(`/api/v1/agent/releases/0.5.0/${PLATFORM}`, 4 * 1024 * 1024);
    await rollout('0.5.0');
    await waitFor(async () => proxy.holding(), { timeoutMs: 30_000, what: 'the download held part way' });
    // What a meeting check asks of the agent, while its download is held: answered now, not after it.
    const id = await createCommand(tc.collector.state, agentId, 'run-check', { type: 'host', deadlineMs: 10_000 }, 60_000);
    tc.collector.app.commandHub.wakeAgent(agentId);
    const done = await waitFor(async () => {
      const [c] = await getCommands(tc.collector.state, [id]);
      return c?.status === 'done' ? c : undefined;
    }, { timeoutMs: 30_000, what: 'the run-check answered during the download' });
    expect(done.result?.samples.some((x) => x.measurement === 'host')).toBe(true);
    expect(proxy.holding()).toBe(true);
    // Every poll meanwhile named the update as running, so the collector offered it once.
    expect(proxy.polls.some((p) => /running=upd-/.test(p))).toBe(true);
    expect(offers('0.5.0')).toBe(1);
    proxy.release();
    await answered('0.5.0', /SHA-256 is [0-9a-f]{64}, not the announced/, 'refused', before, exits);
  }, 90_000);

  it("refuses a wrong signature (another file's) and a signature by another key", async () => {
    await publish('0.6.0', builds.new, { signatureOf: builds.broken });
    await refused('0.6.0', /signature does not verify with the release key pinned/);
    await publish('0.7.0', builds.new, { signWith: otherKey });
    await refused('0.7.0', /signature does not verify with the release key pinned/);
  }, 120_000);

  it('refuses a downgrade, and a signed build relabelled with another version', async () => {
    await publish('0.0.9', builds.current);
    await refused('0.0.9', /older than the running 0\.1\.0: a downgrade/);
    await publish('0.8.0', builds.new);
    await refused('0.8.0', /says it is version "0\.2\.0", not the announced 0\.8\.0/);
  }, 120_000);

  it('rolls back a build that exits at start, and reports it', async () => {
    await publish('0.3.0', builds.broken);
    await refused('0.3.0', /rolled back to 0\.1\.0: the new build exited with 3 before reporting healthy \(broken build\)/, 'rolled-back');
    expect(readFileSync(`${exe()}.failed`).equals(readFileSync(builds.broken))).toBe(true);
  }, 120_000);

  it('an interrupted download is refused and reported, then resumed with Range, verified, swapped and restarted into 0.2.0', async () => {
    await publish('0.2.0', builds.new);
    const before = sha(exe());
    await rollout('0.2.0');
    const cut = await waitFor(async () => {
      const x = await status();
      return x?.message?.includes('interrupted') ? x : undefined;
    }, { timeoutMs: 60_000, what: 'the interrupted download reported' });
    expect(cut.message).toMatch(/^failed: the download was interrupted at \d+ of \d+ bytes/);
    expect(sha(exe())).toBe(before);
    expect(proxy.cuts()).toBe(1);
    // The operator rolls out again (or the collector offers it again 30 s later): the download resumes.
    await rollout('0.2.0');
    const done = await waitFor(async () => {
      const x = await status();
      return x?.version === '0.2.0' && x.state === 'current' ? x : undefined;
    }, { timeoutMs: 90_000, what: 'the agent running 0.2.0' });
    expect(done.target).toBe('0.2.0');
    expect(proxy.ranges[0]).toBe('none');
    expect(proxy.ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(proxy.ranges[1])![0])).toBeGreaterThan(0);
    expect(sha(exe())).toBe(sha(builds.new));
    expect(sha(`${exe()}.previous`)).toBe(sha(builds.current));
    expect(runs.map((r) => r.code)).toEqual([75]);
    expect(output).not.toContain('PRIVATE KEY');
    // The restarted 0.2.0 confirms the handover itself (its status sample accepted once running for real).
    await waitFor(async () => /the new build reported healthy after the handover/.test(output), { timeoutMs: 30_000, what: 'the handover confirmed by 0.2.0' });
  }, 180_000);

  it('the console shows the fleet by version and the rollout progress; a user of another agency sees neither agent', async () => {
    await createUser(tc.collector.state, { name: 'qt.release', password: 'qt-release-password-1', role: 'viewer' });
    await createUser(tc.collector.state, { name: 'xem.tuphap', password: 'xem-tuphap-password-1', role: 'viewer', agency: 'so-tu-phap' });
    const { cookie } = await consoleLogin(tc.url, 'qt.release', 'qt-release-password-1', '/console/releases');
    const pageText = await (await fetch(`${tc.url}/console/releases`, { headers: { cookie } })).text();
    expect(pageText).toContain('Phiên bản agent');
    expect(pageText).toMatch(/<code>0\.2\.0<\/code><\/td>\s*<td[^>]*>1<\/td>/);
    expect(pageText).toContain('data-rollout-progress="stable">1/1<');
    expect(pageText).toContain('data-update-state="current"');
    const other = await consoleLogin(tc.url, 'xem.tuphap', 'xem-tuphap-password-1', '/console/releases');
    const scoped = await (await fetch(`${tc.url}/console/releases`, { headers: { cookie: other.cookie } })).text();
    expect(scoped).not.toContain('pc-update');
    expect(scoped).toContain('data-rollout-progress="stable">0/0<');
  }, 60_000);

  it('a build healthy at its check but not once running for real is rolled back after the restart, and reported', async () => {
    await publish('0.4.0', builds.brokenRun);
    await rollout('0.4.0');
    const s = await waitFor(async () => {
      const x = await status();
      return x?.state === 'rolled-back' && x.version === '0.2.0' && runs.length === 3 ? x : undefined;
    }, { timeoutMs: 90_000, what: 'the rollback after the handover' });
    expect(s.target).toBe('0.4.0');
    expect(runs.map((r) => r.code)).toEqual([75, 75, 75]);
    expect(sha(exe())).toBe(sha(builds.new));
    expect(sha(`${exe()}.failed`)).toBe(sha(builds.brokenRun));
    expect(output).toMatch(/did not report healthy within 12000 ms after the restart \(cannot reach the collector: .*broken network stack/);
    // The running 0.2.0 keeps reporting, and 0.4.0 is not offered again.
    const commands = tc.collector.db!.prepare("SELECT COUNT(*) AS n FROM agent_commands WHERE kind = 'self-update' AND payload LIKE '%0.4.0%'").get() as { n: number };
    await new Promise((r) => setTimeout(r, 3000));
    expect(tc.collector.db!.prepare("SELECT COUNT(*) AS n FROM agent_commands WHERE kind = 'self-update' AND payload LIKE '%0.4.0%'").get()).toEqual(commands);
  }, 120_000);

  it("a build that dies before the agent's code runs is put back by the unit's guard after 4 starts, and reported", async () => {
    await publish('0.9.0', builds.diesAtRun);
    const exits = runs.length;
    await rollout('0.9.0');
    const s = await waitFor(async () => {
      const x = await status();
      return x?.state === 'rolled-back' && x.target === '0.9.0' && x.version === '0.2.0' ? x : undefined;
    }, { timeoutMs: 90_000, what: 'the rollback by the guard' });
    expect(s.version).toBe('0.2.0');
    // 0.2.0 hands over (75); 0.9.0 dies at each of 4 starts (70); then the guard puts 0.2.0 back, which runs on.
    expect(runs.slice(exits).map((r) => r.code)).toEqual([75, 70, 70, 70, 70]);
    expect(sha(exe())).toBe(sha(builds.new));
    expect(sha(`${exe()}.failed`)).toBe(sha(builds.diesAtRun));
    expect(output).toMatch(/canhgac-agent-guard: 0\.9\.0 started 4 times without confirming its health/);
    expect(JSON.parse(readFileSync(join(work, 'state', 'update', 'last.json'), 'utf8'))).toMatchObject({ version: '0.9.0', state: 'rolled-back' });
  }, 120_000);
});
