#!/usr/bin/env node
// Installs what the tests and the demo need and is missing: npm dependencies, then (as root) the
// Debian packages in scripts/apt-packages.txt. Plain JavaScript: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });

export function ensureNodeModules() {
  const stamp = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale = !existsSync(stamp) || readFileSync(stamp, 'utf8').length === 0 || !existsSync(join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'));
  if (!stale) return;
  console.error('[ensure] installing npm dependencies (npm ci) ...');
  const r = run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env } });
  if (r.status !== 0) {
    console.error('[ensure] npm ci failed');
    process.exit(1);
  }
  if (!existsSync(lock)) process.exit(1);
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

export function ensureAptPackages({ required = false } = {}) {
  const wanted = readFileSync(join(root, 'scripts', 'apt-packages.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  if (spawnSync('sh', ['-c', 'command -v dpkg-query']).status !== 0) {
    console.error('[ensure] not a Debian system: install by hand: ' + wanted.join(' '));
    return;
  }
  const missing = wanted.filter((p) => !installed(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    const msg = `[ensure] missing Debian packages: ${missing.join(' ')}\n  run as root: apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
    if (required) {
      console.error(msg);
      process.exit(1);
    }
    console.error(msg + '\n  (tests that need them are skipped outside CI)');
    return;
  }
  // Installed daemons must not start themselves (snmpd, exporters): tests start what they need.
  const policy = '/usr/sbin/policy-rc.d';
  let wrotePolicy = false;
  if (!existsSync(policy)) {
    mkdirSync(dirname(policy), { recursive: true });
    writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    wrotePolicy = true;
  }
  console.error(`[ensure] apt-get install ${missing.join(' ')} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  if (r.status !== 0) {
    run('apt-get', ['update', '-qq'], { env });
    r = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  }
  if (wrotePolicy) spawnSync('rm', ['-f', policy]);
  if (r.status !== 0) {
    console.error('[ensure] apt-get install failed');
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureNodeModules();
  ensureAptPackages({ required: process.env.CI === 'true' });
}
