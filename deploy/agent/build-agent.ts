/**
 * `npm run build:agent`: bundle the agent into one CommonJS file (esbuild), then make a Node single
 * executable of it (node --experimental-sea-config + postject). Output in dist/agent/:
 *   canhgac-agent.cjs   the bundle (runs with any Node >= 20, no node_modules, no tsx)
 *   canhgac-agent       the single executable for this platform (canhgac-agent.exe on Windows)
 *   oui.tsv.br          the IEEE vendor table the discovery check reads next to the executable
 * `--bundle-only` stops after the bundle; `--offline` also packs the agency's offline bundle. The Windows build runs the same script on Windows
 * (deploy/docs/operations.md, "Agent for Windows").
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { VERSION } from '../../protocol/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const OUT_DIR = join(ROOT, 'dist', 'agent');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * `createRequire(import.meta.url)('x')` loads x from disk at run time, which a single executable
 * cannot do; as a plain `require('x')` esbuild puts x into the bundle.
 */
const inlineCreateRequire: Plugin = {
  name: 'inline-create-require',
  setup(b) {
    b.onLoad({ filter: /[\\/]agent[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      return { contents: source.replace(/createRequire\(import\.meta\.url\)\(/g, 'require('), loader: 'ts' };
    });
  },
};

/**
 * The host check reads /proc on Linux and needs systeminformation only elsewhere (Windows). A build
 * runs on the platform it is for, so a Linux build leaves the package out (0.6 MB less source for V8
 * to keep); were it ever reached, the stub says so instead of failing obscurely.
 */
const withoutSysteminformation: Plugin = {
  name: 'without-systeminformation',
  setup(b) {
    b.onResolve({ filter: /^systeminformation$/ }, () => ({ path: 'systeminformation', namespace: 'canhgac-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'canhgac-stub' }, () => ({
      contents: "module.exports = new Proxy({}, { get: () => () => { throw new Error('systeminformation is not in the Linux build of the agent'); } });",
      loader: 'js',
    }));
  },
};

export async function bundleAgent(outDir = OUT_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'canhgac-agent.cjs');
  await build({
    entryPoints: [join(ROOT, 'deploy', 'agent', 'sea-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    legalComments: 'none',
    // V8 keeps a script's whole source in memory: one byte per character while every character is
    // Latin-1, two bytes otherwise. Comments and whitespace go (names stay, for readable stack traces)
    // and latin1Source() escapes what is left: 5.4 MB of two-byte source was the largest object in an
    // idle agent's heap; about 2 MB of one-byte source once this is done.
    minifyWhitespace: true,
    logLevel: 'warning',
    // import.meta does not exist in CommonJS: files next to the bundle (oui.tsv.br) are found from __filename.
    define: { 'import.meta.url': 'import_meta_url', 'import.meta.dirname': '__dirname' },
    banner: { js: 'const import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    plugins: process.platform === 'linux' ? [inlineCreateRequire, withoutSysteminformation] : [inlineCreateRequire],
  });
  writeFileSync(outfile, latin1Source(readFileSync(outfile, 'utf8')));
  copyFileSync(join(ROOT, 'agent', 'checks', 'discovery', 'oui.tsv.br'), join(outDir, 'oui.tsv.br'));
  return outfile;
}

/**
 * The bundle with every character above U+00FF written as a \u escape. esbuild already escapes string
 * literals; what it leaves are regular expressions (`[đĐ]`, `CHIỀU`), where \uXXXX means the same
 * character with or without the u flag.
 */
export function latin1Source(text: string): string {
  return text.replace(/[^\x00-\xff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/** postject's CLI script, run with this `node` (on Windows a .cmd shim would need a shell). */
export function postjectPath(): string | undefined {
  const cli = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
  return existsSync(cli) ? cli : undefined;
}

/** The single executable for the platform this runs on (a copy of this `node` with the bundle injected). */
export function singleExecutable(bundle: string, outDir = OUT_DIR): string {
  const postject = postjectPath();
  if (!postject) throw new Error('postject is not installed (npm install): it injects the bundle into the node binary');
  const exe = join(outDir, process.platform === 'win32' ? 'canhgac-agent.exe' : 'canhgac-agent');
  const blob = join(outDir, 'sea-prep.blob');
  const seaConfig = join(outDir, 'sea-config.json');
  // No useCodeCache: V8 rejects the cache (with a warning on stderr) whenever the heap flags differ from
  // the build's, e.g. the service's NODE_OPTIONS; and measured in a running agent it saved 0.4 MB of
  // memory while its larger blob cost 3 MB of mapped pages.
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }, null, 2));
  run(process.execPath, ['--experimental-sea-config', seaConfig]);
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  if (process.platform === 'win32') {
    // The copied node.exe is signed; a stale signature makes Windows refuse the result (see operations.md).
    spawnSync('signtool', ['remove', '/s', exe], { stdio: 'inherit' });
  }
  run(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  rmSync(blob, { force: true });
  rmSync(seaConfig, { force: true });
  return exe;
}

/**
 * The agency's offline bundle: everything an install needs, nothing fetched at the agency.
 * canhgac-agent-VERSION-linux-x64.tar.gz with the executable, the OUI table, the sample config,
 * the systemd unit and its self-update guard, install.sh, the Vietnamese install guide and SHA256SUMS.
 */
export function offlineBundle(exe: string, outDir = OUT_DIR): string {
  const name = `canhgac-agent-${VERSION}-${process.platform}-${process.arch}`;
  const stage = join(outDir, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const files: [string, string][] = [
    [exe, 'canhgac-agent'],
    [join(outDir, 'oui.tsv.br'), 'oui.tsv.br'],
    [join(ROOT, 'deploy', 'agent', 'agent.yaml'), 'agent.yaml'],
    [join(ROOT, 'deploy', 'agent', 'install-linux.sh'), 'install.sh'],
    [join(ROOT, 'deploy', 'systemd', 'canhgac-agent.service'), 'canhgac-agent.service'],
    [join(ROOT, 'deploy', 'agent', 'canhgac-agent-guard'), 'canhgac-agent-guard'],
    [join(ROOT, 'deploy', 'docs', 'huong-dan-cai-dat.md'), 'huong-dan-cai-dat.md'],
  ];
  for (const [from, to] of files) copyFileSync(from, join(stage, to));
  chmodSync(join(stage, 'canhgac-agent'), 0o755);
  chmodSync(join(stage, 'install.sh'), 0o755);
  const sums = files.filter(([, to]) => to !== 'install.sh').map(([, to]) => `${createHash('sha256').update(readFileSync(join(stage, to))).digest('hex')}  ${to}`);
  writeFileSync(join(stage, 'SHA256SUMS'), sums.join('\n') + '\n');
  const tarball = join(outDir, `${name}.tar.gz`);
  // gzip -1: the executable compresses to a third either way; -6 only costs minutes on a busy build machine.
  run('tar', ['-C', outDir, '--use-compress-program=gzip -1', '-cf', tarball, name]);
  rmSync(stage, { recursive: true, force: true });
  return tarball;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'bundle-only': { type: 'boolean', default: false }, offline: { type: 'boolean', default: false }, out: { type: 'string', default: OUT_DIR } },
  });
  const started = performance.now();
  const bundle = await bundleAgent(values.out);
  process.stdout.write(`bundle: ${bundle}\n`);
  if (!values['bundle-only']) {
    const exe = singleExecutable(bundle, values.out);
    process.stdout.write(`single executable: ${exe}\n`);
    if (values.offline) process.stdout.write(`offline bundle: ${offlineBundle(exe, values.out)}\n`);
  }
  process.stdout.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

if (process.argv[1] && import.meta.filename === (await import('node:fs')).realpathSync(process.argv[1])) {
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`build:agent: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
