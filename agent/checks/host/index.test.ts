import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { validateSample } from '../../../protocol/index.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { hostCheck, parseMeminfo, realDisks } from './index.ts';

async function runOnce() {
  const recorder = new SampleRecorder();
  const config = { type: 'host', interval: '60s', timeout: '30s', intervalMs: 60_000, timeoutMs: 30_000 };
  await hostCheck.run(config, { recorder, signal: new AbortController().signal, log: createLogger({ write: () => {} }) });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return recorder.samples;
}

describe('host check on this machine', () => {
  it('records plausible host values and the root file system', async () => {
    const samples = await runOnce();
    const host = samples.filter((s) => s.measurement === 'host');
    expect(host).toHaveLength(1);
    const f = host[0].fields as Record<string, number>;
    expect(host[0].tags).toEqual({ host: os.hostname() });
    expect(f.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(f.cpu_percent).toBeLessThanOrEqual(100);
    expect(f.mem_used_percent).toBeGreaterThan(0);
    expect(f.mem_used_percent).toBeLessThanOrEqual(100);
    expect(Math.abs(f.mem_total_bytes - os.totalmem()) / os.totalmem()).toBeLessThan(0.05);
    expect(f.uptime_seconds).toBeGreaterThan(0);
    expect(f.load1).toBeGreaterThanOrEqual(0);

    const disks = samples.filter((s) => s.measurement === 'host_disk');
    const mounts = disks.map((d) => d.tags.mount);
    expect(mounts).toContain(process.platform === 'win32' ? 'C:' : '/');
    expect(new Set(mounts).size).toBe(mounts.length);
    for (const d of disks) {
      const df = d.fields as Record<string, number>;
      expect(d.tags.host).toBe(os.hostname());
      expect(df.used_percent).toBeGreaterThanOrEqual(0);
      expect(df.used_percent).toBeLessThanOrEqual(100);
      expect(df.free_bytes).toBeLessThanOrEqual(df.total_bytes);
      expect(df.total_bytes).toBeGreaterThan(0);
    }
    // A second run measures CPU since the first instead of waiting.
    const started = Date.now();
    await runOnce();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('real file systems', () => {
  const row = (type: string, mount: string, size = 100) => ({ fs: 'x', type, mount, size, used: 10, available: 80 });
  it('keeps disks (Linux and Windows) and drops pseudo, empty and repeated mounts', () => {
    const kept = realDisks([
      row('ext4', '/'),
      row('xfs', '/srv'),
      row('NTFS', 'C:'),
      row('tmpfs', '/run/user/0'),
      row('overlay', '/var/lib/docker/overlay2/abc/merged'),
      row('proc', '/proc'),
      row('squashfs', '/snap/core/1'),
      row('ext4', '/boot/efi', 0),
      row('ext4', '/'),
      row('ext4', '/dev/shm'),
    ]);
    expect(kept.map((r) => r.mount)).toEqual(['/', '/srv', 'C:']);
  });
});

describe('memory from /proc/meminfo (systeminformation is loaded only where there is no /proc)', () => {
  it('reads MemTotal and MemAvailable, and the old estimate on kernels without MemAvailable', () => {
    expect(parseMeminfo('MemTotal:        2000 kB\nMemFree:          300 kB\nMemAvailable:     900 kB\nBuffers:           50 kB\nCached:           400 kB\n')).toEqual({ total: 2_048_000, available: 921_600 });
    expect(parseMeminfo('MemTotal:        2000 kB\nMemFree:          300 kB\nBuffers:           50 kB\nCached:           400 kB\n')).toEqual({ total: 2_048_000, available: 768_000 });
  });

  it.skipIf(process.platform !== 'linux')('gives the figures systeminformation gives on this machine', async () => {
    const si = (await import('systeminformation')).default;
    const { readFile } = await import('node:fs/promises');
    const [theirs, text] = await Promise.all([si.mem(), readFile('/proc/meminfo', 'utf8')]);
    const ours = parseMeminfo(text);
    expect(ours.total).toBe(theirs.total);
    // Read a moment apart on a busy machine: available moves by a few pages, never by much.
    expect(Math.abs(ours.available - theirs.available)).toBeLessThan(64 * 1024 * 1024);
  });
});
