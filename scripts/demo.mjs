#!/usr/bin/env node
// `npm run demo`: installs what is missing, then brings up InfluxDB, the collector and a local agent.
// Plain JavaScript so that it runs before node_modules exists.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeModules } from './ensure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

ensureNodeModules();
const need = [];
if (!has('influxd')) need.push('influxdb', 'influxdb-client');
if (!has('ping')) need.push('iputils-ping');
if (need.length > 0) {
  if (process.getuid?.() !== 0) {
    console.error(`The demo needs Debian packages that are not installed: ${need.join(' ')}\nRun this once as root, then npm run demo again:\n\n  sudo apt-get install -y --no-install-recommends ${need.join(' ')}\n`);
    process.exit(1);
  }
  console.error(`[demo] installing ${need.join(' ')} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...need], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...need], { stdio: 'inherit', env });
  }
  if (r.status !== 0) process.exit(1);
}

const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'demo.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
// Ctrl-C reaches the whole process group; forward TERM so `kill` of this process stops everything too.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
