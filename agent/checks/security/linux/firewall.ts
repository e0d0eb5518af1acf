// The Linux firewall check: whether nftables or iptables actually filters inbound traffic.
import { commandProblem, type HostEnv } from '../env.ts';
import { error, fail, pass, type Finding } from '../finding.ts';

export interface InputFilter {
  /** Chains (nft) or tables (iptables) hooked on input that drop by default or hold rules. */
  filtering: boolean;
  rules: number;
  policy: string;
}

/**
 * Inbound filtering in `nft list ruleset`: a chain hooked on input that holds at least one rule or
 * drops by default. NAT-only rule sets (Docker's) and the empty input chain of Debian's stock
 * /etc/nftables.conf do not filter anything, so they do not count.
 */
export function parseNftRuleset(text: string): InputFilter {
  let rules = 0;
  let policy = 'accept';
  let filtering = false;
  let inInput = false;
  let chainRules = 0;
  let chainPolicy = 'accept';
  const closeChain = () => {
    if (inInput) {
      rules += chainRules;
      if (chainPolicy === 'drop' || chainPolicy === 'reject') policy = chainPolicy;
      if (chainRules > 0 || chainPolicy !== 'accept') filtering = true;
    }
    inInput = false;
  };
  let depth = 0;
  let chainDepth = -1;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^chain\s+\S+\s*\{$/.test(line)) {
      chainDepth = depth;
      chainRules = 0;
      chainPolicy = 'accept';
      inInput = false;
    } else if (chainDepth >= 0 && depth === chainDepth + 1 && /^type\s+filter\s+hook\s+input\b/.test(line)) {
      inInput = true;
      const p = /policy\s+(\w+)/.exec(line);
      if (p) chainPolicy = p[1];
    } else if (chainDepth >= 0 && depth === chainDepth + 1 && line !== '}' && !/^(type|policy|comment|devices?)\b/.test(line)) {
      chainRules++;
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (chainDepth >= 0 && depth <= chainDepth) {
      closeChain();
      chainDepth = -1;
    }
  }
  return { filtering, rules, policy };
}

/** The INPUT chain of the filter table in `iptables-save` output (legacy or nft backend). */
export function parseIptablesSave(text: string): InputFilter {
  let table = '';
  let rules = 0;
  let policy = 'ACCEPT';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    else if (table === 'filter' && line.startsWith(':INPUT ')) policy = line.split(/\s+/)[1] ?? 'ACCEPT';
    else if (table === 'filter' && line.startsWith('-A INPUT ')) rules++;
  }
  return { filtering: rules > 0 || policy === 'DROP' || policy === 'REJECT', rules, policy: policy.toLowerCase() };
}

export async function checkFirewall(env: HostEnv): Promise<Finding> {
  const problems: string[] = [];
  let answered = 0;
  const ufw = await env.run('ufw', ['status']);
  if (ufw.code === 0) {
    answered++;
    if (/^Status:\s*active/m.test(ufw.stdout)) return pass('ufw is active');
  } else if (!ufw.notFound) problems.push(commandProblem('ufw status', ufw));

  const nft = await env.run('nft', ['list', 'ruleset']);
  if (nft.code === 0) {
    answered++;
    const f = parseNftRuleset(nft.stdout);
    if (f.filtering) return pass(`nftables filters input: ${f.rules} rule(s), policy ${f.policy}`);
  } else if (!nft.notFound) problems.push(commandProblem('nft list ruleset', nft));

  const ipt = await env.run('iptables-save', []);
  if (ipt.code === 0) {
    answered++;
    const f = parseIptablesSave(ipt.stdout);
    if (f.filtering) return pass(`iptables filters input: ${f.rules} rule(s), policy ${f.policy}`);
  } else if (!ipt.notFound) problems.push(commandProblem('iptables-save', ipt));

  if (answered > 0) return fail('no inbound filtering: no input rules and no drop policy in nftables/iptables, ufw not active');
  if (problems.length > 0) return error(`cannot read the firewall rules (${problems.join('; ')})`);
  return fail('no firewall tool found (nft, iptables-save, ufw): nothing filters inbound traffic');
}
