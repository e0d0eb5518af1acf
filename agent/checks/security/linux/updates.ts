// The Debian/Ubuntu update checks: pending security upgrades and whether automatic updates are on.
import { commandProblem, type HostEnv } from '../env.ts';
import { error, fail, notApplicable, pass, type Finding } from '../finding.ts';

/**
 * Packages `apt-get -s upgrade` would install from a security suite: the origin of an `Inst` line
 * names the suite, e.g. `Debian-Security:12/stable-security` or `Ubuntu:22.04/jammy-security`.
 */
export function securityUpgrades(simulation: string): string[] {
  const names = new Set<string>();
  for (const line of simulation.split('\n')) {
    // `Inst name [old] (new Origin:suite, Origin:suite [arch]) []`: the origins are in the parentheses.
    const m = /^Inst (\S+) [^(]*\(([^()]*)\)/.exec(line);
    if (m && /-security\b/i.test(m[2])) names.add(m[1]);
  }
  return [...names].sort();
}

/**
 * Uses the package lists already on the host: the agent never runs `apt-get update` (it talks to
 * nobody but the collector). Hosts whose lists are stale under-report; auto_updates covers that.
 */
export async function checkSecurityUpdates(env: HostEnv): Promise<Finding> {
  // apt-get resolves the whole upgrade: tens of seconds on a busy host, so it gets more time than other commands.
  const r = await env.run('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'upgrade'], { timeoutMs: 240_000 });
  if (r.notFound) return notApplicable('apt-get not found: not a Debian-family host');
  if (r.code !== 0) return error(commandProblem('apt-get -s upgrade', r));
  const pkgs = securityUpgrades(r.stdout);
  if (pkgs.length === 0) return pass('no package waits for a security update');
  const shown = pkgs.slice(0, 10).join(', ');
  return fail(`${pkgs.length} package(s) wait for a security update: ${shown}${pkgs.length > 10 ? ', …' : ''}`);
}

/** APT settings from apt.conf text: both `A::B::C "1";` and nested `A { B { C "1"; }; };` forms. */
export function parseAptConf(text: string, into = new Map<string, string>()): Map<string, string> {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*(\/\/|#).*$/gm, '');
  const stack: string[] = [];
  const token = /([A-Za-z0-9:_\-.]+)\s*\{|\}\s*;?|([A-Za-z0-9:_\-.]+)\s+"([^"]*)"\s*;/g;
  for (let m = token.exec(clean); m; m = token.exec(clean)) {
    if (m[1]) stack.push(m[1]);
    else if (m[0].startsWith('}')) stack.pop();
    else if (m[2]) into.set([...stack, m[2]].join('::').toLowerCase(), m[3]);
  }
  return into;
}

const truthy = (v: string | undefined) => v !== undefined && v !== '0' && !/^(false|no|off)$/i.test(v);

export async function checkAutoUpdates(env: HostEnv): Promise<Finding> {
  const hasApt = (await env.readText('/etc/debian_version')) !== undefined || (await env.listDir('/etc/apt')).length > 0;
  if (!hasApt) return notApplicable('not a Debian-family host (no /etc/apt)');
  const settings = new Map<string, string>();
  const main = await env.readText('/etc/apt/apt.conf');
  if (main) parseAptConf(main, settings);
  for (const name of await env.listDir('/etc/apt/apt.conf.d')) {
    // apt reads the drop-ins in lexical order and the last one wins.
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.endsWith('.dpkg-old') || name.endsWith('.dpkg-dist')) continue;
    const text = await env.readText(`/etc/apt/apt.conf.d/${name}`);
    if (text) parseAptConf(text, settings);
  }
  const installed =
    (await env.readText('/usr/bin/unattended-upgrade')) !== undefined || (await env.listDir('/usr/share/unattended-upgrades')).length > 0;
  const lists = settings.get('apt::periodic::update-package-lists');
  const upgrade = settings.get('apt::periodic::unattended-upgrade');
  if (!installed) return fail('unattended-upgrades is not installed');
  if (!truthy(upgrade)) return fail(`APT::Periodic::Unattended-Upgrade is ${upgrade === undefined ? 'not set' : `"${upgrade}"`}`);
  if (!truthy(lists)) return fail(`APT::Periodic::Update-Package-Lists is ${lists === undefined ? 'not set' : `"${lists}"`}: upgrades would use stale lists`);
  return pass(`unattended-upgrades enabled (Update-Package-Lists "${lists}", Unattended-Upgrade "${upgrade}")`);
}
