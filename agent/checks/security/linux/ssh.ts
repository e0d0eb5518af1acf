// The SSH checks (root login, password authentication): the effective sshd settings, from `sshd -T`
// or from the config files as sshd reads them.
import { posix } from 'node:path';
import type { HostEnv } from '../env.ts';
import { fail, notApplicable, pass, type Finding } from '../finding.ts';

/** Effective sshd settings (lower-case keys) and where they came from. */
export interface SshdSettings {
  values: Map<string, string>;
  source: string;
}

/** OpenSSH defaults for the keys we judge (sshd_config(5), OpenSSH 7.0 and later). */
const DEFAULTS: Record<string, string> = { permitrootlogin: 'prohibit-password', passwordauthentication: 'yes', kbdinteractiveauthentication: 'yes' };

/** `sshd -T` output: one `key value` a line, keys already lower-case. */
export function parseSshdT(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (m) values.set(m[1].toLowerCase(), m[2].trim());
  }
  return values;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * sshd_config as sshd reads it: the first value of a keyword wins, `Include` is read in place
 * (globs sorted, relative paths under /etc/ssh), and everything after the first `Match` applies only
 * to some connections, so it is not part of the global answer.
 */
export async function readSshdConfig(env: HostEnv, file = '/etc/ssh/sshd_config'): Promise<Map<string, string> | undefined> {
  const values = new Map<string, string>();
  let matched = false;
  const readOne = async (path: string, depth: number): Promise<boolean> => {
    const text = await env.readText(path);
    if (text === undefined) return false;
    for (const raw of text.split('\n')) {
      if (matched) return true;
      const line = raw.replace(/#.*$/, '').trim();
      const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
      if (!m) continue;
      const key = m[1].toLowerCase();
      const value = m[2].trim().replace(/^"(.*)"$/, '$1');
      if (key === 'match') {
        matched = true;
        return true;
      }
      if (key === 'include' && depth < 16) {
        for (const pattern of value.split(/\s+/)) {
          const abs = pattern.startsWith('/') ? pattern : posix.join('/etc/ssh', pattern);
          if (abs.includes('*') || abs.includes('?')) {
            const dir = posix.dirname(abs);
            const re = globToRegExp(posix.basename(abs));
            for (const name of await env.listDir(dir)) if (re.test(name)) await readOne(posix.join(dir, name), depth + 1);
          } else await readOne(abs, depth + 1);
        }
        continue;
      }
      if (!values.has(key)) values.set(key, value);
    }
    return true;
  };
  return (await readOne(file, 0)) ? values : undefined;
}

const cache = new WeakMap<HostEnv, Promise<SshdSettings | undefined>>();

/** `sshd -T` when the daemon can tell (effective values), the files otherwise; read once per cycle. */
export function sshdSettings(env: HostEnv): Promise<SshdSettings | undefined> {
  let p = cache.get(env);
  if (!p) {
    p = readSshdSettings(env);
    cache.set(env, p);
  }
  return p;
}

async function readSshdSettings(env: HostEnv): Promise<SshdSettings | undefined> {
  const t = await env.run('sshd', ['-T'], { timeoutMs: 10_000 });
  if (t.code === 0 && t.stdout.includes('permitrootlogin')) return { values: parseSshdT(t.stdout), source: 'sshd -T' };
  const files = await readSshdConfig(env);
  if (files) return { values: files, source: '/etc/ssh/sshd_config' };
  return undefined;
}

const setting = (s: SshdSettings, key: string) => s.values.get(key)?.toLowerCase() ?? DEFAULTS[key];

const NOT_INSTALLED = 'OpenSSH server not installed (no sshd_config)';

/** CIS asks for `no`: `prohibit-password` still lets anyone with a root key in without a name. */
export async function checkSshRootLogin(env: HostEnv, settings?: SshdSettings): Promise<Finding> {
  const s = settings ?? (await sshdSettings(env));
  if (!s) return notApplicable(NOT_INSTALLED);
  const v = setting(s, 'permitrootlogin');
  const explicit = s.values.has('permitrootlogin') ? '' : ' (OpenSSH default)';
  return v === 'no' ? pass(`PermitRootLogin no (${s.source})`) : fail(`PermitRootLogin ${v}${explicit} (${s.source})`);
}

export async function checkSshPasswordAuth(env: HostEnv, settings?: SshdSettings): Promise<Finding> {
  const s = settings ?? (await sshdSettings(env));
  if (!s) return notApplicable(NOT_INSTALLED);
  const pw = setting(s, 'passwordauthentication');
  if (pw !== 'no') return fail(`PasswordAuthentication ${pw}${s.values.has('passwordauthentication') ? '' : ' (OpenSSH default)'} (${s.source})`);
  return pass(`PasswordAuthentication no (${s.source})`);
}
