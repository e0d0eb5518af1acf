// `token create|revoke`: API tokens for operators and scripts. The token is printed once and only its
// hash is kept, so a lost token is revoked and created again, never recovered.
import { createAdminToken, parseRole, revokeAdminToken } from '../state/admin-tokens.ts';
import { cliAudit, loadConfig, parseOptions, UsageError, withState, type CommandGroup } from './common.ts';

export const TOKEN_USAGE = `  canhgac-collector token create --name NAME [--role viewer|operator|admin] [--agency ID] [--config FILE]
                                                            print an API token for operators and scripts
  canhgac-collector token revoke --name NAME [--config FILE]
`;

export async function tokenCommand(_command: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { name: { type: 'string' }, role: { type: 'string', default: 'admin' }, agency: { type: 'string' } }, 1);
  const config = loadConfig(values);
  const [sub] = positionals;
  const name = values.name;
  if (!name) throw new UsageError(`token ${sub ?? ''}: --name NAME is required`);
  if (sub === 'create') {
    // Checked before the database is opened: a refused role stores nothing.
    const role = parseRole(values.role);
    if (!role) throw new UsageError(`--role: expected viewer, operator or admin, got "${values.role}"`);
    if (values.agency && !config.agencies.some((a) => a.id === values.agency)) throw new UsageError(`--agency: unknown agency "${values.agency}"`);
    const token = await withState(config, async (state) => {
      const created = await createAdminToken(state, name, role, values.agency);
      await cliAudit(state, 'token_create', { target: name, agency: values.agency, detail: role });
      return created;
    });
    process.stdout.write(`${token}\n`);
    process.stderr.write(`API token "${name}" (${role}${values.agency ? `, agency ${values.agency}` : ''}): shown once, store it now\n`);
    return 0;
  }
  if (sub === 'revoke') {
    const n = await withState(config, async (state) => {
      const revoked = await revokeAdminToken(state, name);
      if (revoked > 0) await cliAudit(state, 'token_revoke', { target: name, detail: `${revoked} token(s)` });
      return revoked;
    });
    process.stdout.write(`${n} token(s) named "${name}" revoked\n`);
    return n > 0 ? 0 : 1;
  }
  throw new UsageError('token: expected create or revoke');
}

export const tokenGroup: CommandGroup = { commands: ['token'], usage: TOKEN_USAGE, run: tokenCommand };
