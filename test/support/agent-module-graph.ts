// Runs the agent's CLI in a fresh process and lists every module it loaded, so a test can show that a
// check whose config is absent is never loaded (the module graph, not timing).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from './agent.ts';

/*
 * A resolve hook registered after tsx's runs first in the chain (Node calls the last registered hook
 * first), so it sees every ESM resolution, .ts files included, and appends the URL to a file; the
 * hooks run on their own thread, which a file write does not care about.
 */
const HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, r.url + '\\n');
  return r;
}`;
const RECORDER = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), { data: { out: process.env.CANHGAC_MODULE_LOG } });`;

/** Entry of the child: the agent's own main(), then the load counter of agent/checks/lazy.ts. */
const DRIVER = join(ROOT, 'test', 'support', 'agent-module-graph-main.ts');

export interface ModuleGraph {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Repository-relative paths of our modules (agent/checks/tcp/index.ts), and `npm:<package>` for packages. */
  modules: Set<string>;
  /** What agent/checks/lazy.ts counted as loaded. */
  loadedCheckTypes: string[];
}

export async function agentModuleGraph(args: string[], timeoutMs = 60_000): Promise<ModuleGraph> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-modgraph-'));
  const log = join(dir, 'modules.txt');
  const counter = join(dir, 'loaded.json');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(RECORDER)}`, DRIVER, ...args], {
      env: { ...process.env, CANHGAC_MODULE_LOG: log, CANHGAC_LOADED_CHECKS: counter },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(t);
    const modules = new Set<string>();
    for (const url of readFileSync(log, 'utf8').split('\n')) {
      if (!url.startsWith('file://')) continue;
      const path = relative(ROOT, new URL(url).pathname);
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      modules.add(pkg ? `npm:${pkg}` : path);
    }
    let loadedCheckTypes: string[] = [];
    try {
      loadedCheckTypes = JSON.parse(readFileSync(counter, 'utf8')) as string[];
    } catch {
      // The process died before writing it: the assertions on `code` say why.
    }
    return { code, stdout, stderr, modules, loadedCheckTypes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
