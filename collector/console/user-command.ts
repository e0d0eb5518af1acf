import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { CollectorConfig } from '../config.ts';
import { ROLE_RANK, type Role } from '../state/admin-tokens.ts';
import type { DB } from '../state/db.ts';
import { createUser, generatePassword, listUsers, passwordIssue, setPassword, userByName, USER_NAME_PATTERN } from '../state/users.ts';

export const USER_HELP = `  canhgac-collector user add      --name NAME [--admin | --role viewer|operator|admin] [--agency ID] [--password-file F] [--config FILE]
                                                            a console user (prompts for a password on a terminal, else prints a generated one)
  canhgac-collector user passwd   --name NAME [--password-file F] [--config FILE]
  canhgac-collector user list     [--json] [--config FILE]
`;

export interface UserArgs {
  name?: string;
  role?: string;
  roleGiven: boolean;
  admin?: boolean;
  agency?: string;
  'password-file'?: string;
  json?: boolean;
}

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
async function obtainPassword(file: string | undefined, usage: (m: string) => Error): Promise<{ password: string; generated: boolean }> {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw usage(`--password-file: cannot read ${file}: ${(err as Error).message}`);
    }
    const password = text.replace(/\r?\n$/, '');
    const issue = passwordIssue(password);
    if (issue) throw usage(`--password-file: ${issue}`);
    return { password, generated: false };
  }
  if (process.stdin.isTTY) {
    const a = await promptHidden('Password: ');
    const issue = passwordIssue(a);
    if (issue) throw usage(issue);
    const b = await promptHidden('Repeat the password: ');
    if (a !== b) throw usage('the two passwords differ');
    return { password: a, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

/** `canhgac-collector user add|passwd|list`. */
export async function userCommand(config: CollectorConfig, db: DB, positionals: string[], args: UserArgs, usage: (m: string) => Error, out: (s: string) => void): Promise<number> {
  const [sub] = positionals;
  if (sub === 'list') {
    const users = listUsers(db);
    if (args.json) {
      out(JSON.stringify(users) + '\n');
      return 0;
    }
    for (const u of users) out(`${u.name}\t${u.role}\t${u.agency ?? '-'}\t${u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : 'never logged in'}\n`);
    return 0;
  }
  if (sub !== 'add' && sub !== 'passwd') throw usage('user: expected add, passwd or list');
  if (!args.name) throw usage(`user ${sub}: --name NAME is required`);
  if (sub === 'passwd') {
    if (!userByName(db, args.name)) throw usage(`--name: no user "${args.name}"`);
    const p = await obtainPassword(args['password-file'], usage);
    await setPassword(db, args.name, p.password);
    out(p.generated ? `${p.password}\n` : `password of ${args.name} changed; their sessions were ended\n`);
    if (p.generated) process.stderr.write(`new password of ${args.name} (shown once); their sessions were ended\n`);
    return 0;
  }
  if (!USER_NAME_PATTERN.test(args.name)) throw usage(`--name: expected letters, digits and . _ @ - (at most 64), got "${args.name}"`);
  if (userByName(db, args.name)) throw usage(`--name: a user "${args.name}" exists already (change the password with: user passwd)`);
  if (args.admin && args.roleGiven && args.role !== 'admin') throw usage('--admin and --role disagree');
  const role = (args.admin ? 'admin' : args.roleGiven ? args.role : 'viewer') as Role;
  if (!(role in ROLE_RANK)) throw usage(`--role: expected viewer, operator or admin, got "${args.role}"`);
  if (args.agency && !config.agencies.some((a) => a.id === args.agency)) throw usage(`--agency: unknown agency "${args.agency}" (known: ${config.agencies.map((a) => a.id).join(', ') || 'none configured'})`);
  const p = await obtainPassword(args['password-file'], usage);
  const user = await createUser(db, { name: args.name, password: p.password, role, agency: args.agency });
  if (p.generated) {
    out(`${p.password}\n`);
    process.stderr.write(`user ${user.name} (${user.role}${user.agency ? `, agency ${user.agency}` : ''}) created; the password above is shown once\n`);
  } else {
    out(`user ${user.name} (${user.role}${user.agency ? `, agency ${user.agency}` : ''}) created\n`);
  }
  return 0;
}
