// `agent list|revoke|rotate`: the enrolled agents, and the two ways to take a token back (at once, or
// by handing over a new one at the agent's next contact).
import { listAgents, requestTokenRotation, revokeAgent } from '../state/agents.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { cliAudit, loadConfig, parseOptions, printTable, UsageError, withState, type CommandGroup } from './common.ts';

export const AGENT_USAGE = `  canhgac-collector agent list   [--config FILE] [--agency ID] [--json]
  canhgac-collector agent revoke ID [--config FILE]         refuse this agent's token from now on
  canhgac-collector agent rotate ID [--config FILE]         hand the agent a new token on its next contact
`;

async function list(state: StateSql, args: { agency?: string; json: boolean }): Promise<number> {
  const agents = await listAgents(state, { agency: args.agency });
  if (args.json) {
    process.stdout.write(JSON.stringify(agents) + '\n');
    return 0;
  }
  const rows = agents.map((a) => [a.id, a.agency, a.hostname, a.version ?? '', a.lastSeen ? new Date(a.lastSeen).toISOString() : 'never', a.revokedAt ? 'revoked' : 'active']);
  printTable([['ID', 'AGENCY', 'HOSTNAME', 'VERSION', 'LAST SEEN', 'STATE'], ...rows]);
  return 0;
}

async function revokeOrRotate(state: StateSql, sub: 'revoke' | 'rotate', id: string | undefined): Promise<number> {
  if (!id) throw new UsageError(`agent ${sub} needs an agent id (see: canhgac-collector agent list)`);
  const ok = sub === 'revoke' ? await revokeAgent(state, id) : await requestTokenRotation(state, id);
  if (!ok) {
    process.stderr.write(`no active agent "${id}"\n`);
    return 1;
  }
  await cliAudit(state, sub === 'revoke' ? 'agent_revoke' : 'agent_rotate', { target: id });
  process.stdout.write(sub === 'revoke' ? `agent ${id} revoked: its token is refused from now on\n` : `agent ${id}: a new token will be handed over on its next contact\n`);
  return 0;
}

export function agentCommand(_command: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { agency: { type: 'string' }, json: { type: 'boolean', default: false } }, 2);
  const config = loadConfig(values);
  const [sub, id] = positionals;
  return withState(config, (state) => {
    if (sub === 'list') return list(state, values);
    if (sub === 'revoke' || sub === 'rotate') return revokeOrRotate(state, sub, id);
    throw new UsageError('agent: expected list, revoke ID or rotate ID');
  });
}

export const agentGroup: CommandGroup = { commands: ['agent'], usage: AGENT_USAGE, run: agentCommand };
