// `user add|passwd|list`: console users from the command line, which is how the first admin comes to
// exist (the console cannot create its own first user).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { CollectorConfig } from '../config.ts';
import { parseRole } from '../state/admin-tokens.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { createUser, generatePassword, listUsers, passwordIssue, setPassword, userByName, USER_NAME_PATTERN } from '../state/users.ts';
import { cliAudit, knownAgencies, loadConfig, parseOptions, stdout, UsageError, withState, type CommandGroup } from './common.ts';

export const USER_USAGE = `  canhgac-collector user add      --name NAME [--admin | --role viewer|operator|admin] [--agency ID] [--password-file F] [--config FILE]
                                                            a console user (prompts for a password on a terminal, else prints a generated one)
  canhgac-collector user passwd   --name NAME [--password-file F] [--config FILE]
  canhgac-collector user list     [--json] [--config FILE]
`;

interface UserArgs {
  name?: string;
  /** Undefined when --role was not given: --admin alone, or the viewer default. */
  role?: string;
  admin: boolean;
  agency?: string;
  'password-file'?: string;
  json: boolean;
}

/** Reads a line without echoing it: the prompt goes to stderr, the typed characters nowhere. */
async function promptHidden(question: string): Promise<string> {
  let muted = false;
  const out = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => {
        process.stderr.write('\n');
        resolve(answer);
      });
      muted = true;
    });
  } finally {
    rl.close();
  }
}

/** The password: from a file, typed twice on a terminal, or generated (and printed once). */
async function obtainPassword(file: string | undefined): Promise<{ password: string; generated: boolean }> {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--password-file: cannot read ${file}: ${(err as Error).message}`);
    }
    const password = text.replace(/\r?\n$/, '');
    const issue = passwordIssue(password);
    if (issue) throw new UsageError(`--password-file: ${issue}`);
    return { password, generated: false };
  }
  if (process.stdin.isTTY) {
    const a = await promptHidden('Password: ');
    const issue = passwordIssue(a);
    if (issue) throw new UsageError(issue);
    const b = await promptHidden('Repeat the password: ');
    if (a !== b) throw new UsageError('the two passwords differ');
    return { password: a, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

async function passwd(state: StateSql, name: string, args: UserArgs): Promise<number> {
  if (!(await userByName(state, name))) throw new UsageError(`--name: no user "${name}"`);
  const p = await obtainPassword(args['password-file']);
  await setPassword(state, name, p.password);
  await cliAudit(state, 'user_password', { target: name });
  stdout(p.generated ? `${p.password}\n` : `password of ${name} changed; their sessions were ended\n`);
  if (p.generated) process.stderr.write(`new password of ${name} (shown once); their sessions were ended\n`);
  return 0;
}

async function add(config: CollectorConfig, state: StateSql, name: string, args: UserArgs): Promise<number> {
  if (!USER_NAME_PATTERN.test(name)) throw new UsageError(`--name: expected letters, digits and . _ @ - (at most 64), got "${name}"`);
  if (await userByName(state, name)) throw new UsageError(`--name: a user "${name}" exists already (change the password with: user passwd)`);
  if (args.admin && args.role !== undefined && args.role !== 'admin') throw new UsageError('--admin and --role disagree');
  const role = parseRole(args.admin ? 'admin' : (args.role ?? 'viewer'));
  if (!role) throw new UsageError(`--role: expected viewer, operator or admin, got "${args.role}"`);
  if (args.agency && !config.agencies.some((a) => a.id === args.agency)) throw new UsageError(`--agency: unknown agency "${args.agency}" (known: ${knownAgencies(config)})`);
  const p = await obtainPassword(args['password-file']);
  const user = await createUser(state, { name, password: p.password, role, agency: args.agency });
  await cliAudit(state, 'user_add', { target: user.name, agency: user.agency, detail: user.role });
  const who = `user ${user.name} (${user.role}${user.agency ? `, agency ${user.agency}` : ''}) created`;
  if (p.generated) {
    stdout(`${p.password}\n`);
    process.stderr.write(`${who}; the password above is shown once\n`);
  } else {
    stdout(`${who}\n`);
  }
  return 0;
}

export async function userCommand(_command: string, argv: string[]): Promise<number> {
  const { values: args, positionals } = parseOptions(
    argv,
    {
      name: { type: 'string' },
      role: { type: 'string' },
      admin: { type: 'boolean', default: false },
      agency: { type: 'string' },
      'password-file': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    1,
  );
  const config = loadConfig(args);
  const [sub] = positionals;
  return withState(config, async (state) => {
    if (sub === 'list') {
      const users = await listUsers(state);
      if (args.json) return stdout(JSON.stringify(users) + '\n'), 0;
      for (const u of users) stdout(`${u.name}\t${u.role}\t${u.agency ?? '-'}\t${u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : 'never logged in'}\n`);
      return 0;
    }
    if (sub !== 'add' && sub !== 'passwd') throw new UsageError('user: expected add, passwd or list');
    if (!args.name) throw new UsageError(`user ${sub}: --name NAME is required`);
    return sub === 'passwd' ? passwd(state, args.name, args) : add(config, state, args.name, args);
  });
}

export const userGroup: CommandGroup = { commands: ['user'], usage: USER_USAGE, run: userCommand };
