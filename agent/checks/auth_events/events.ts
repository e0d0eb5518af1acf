// Authentication events out of Linux log messages (sshd, PAM, sudo, su, useradd, usermod, gpasswd,
// passwd): fixed-token matching only, read from the end of attacker-controlled text, so a line costs
// linear time whatever a remote user name contains.
import { isIP } from 'node:net';

export type EventKind = 'failure' | 'success' | 'lockout' | 'user_created' | 'admin_grant' | 'password_change' | 'log_cleared';

/** One authentication event, whatever log it came from. */
export interface AuthEvent {
  /** Unix milliseconds. */
  time: number;
  kind: EventKind;
  /** ssh, rdp, sudo, su, login, windows_logon, system, or the PAM service name. */
  service: string;
  /** Remote address; for account changes the account that made the change. */
  source?: string;
  user?: string;
  /** The group joined, the log cleared, the login method. */
  detail?: string;
  /** How many times the log says it happened (rsyslog's "message repeated N times"). */
  repeat?: number;
  /** sshd: `ADDR port N`, one TCP connection, so its closing line is not counted after its failures. */
  conn?: string;
  /** sshd: a connection closed during authentication (a failure only when the connection had none). */
  closed?: boolean;
}

/** Longest user name or source kept; longer values are cut (OpenSSH itself logs at most 100 characters). */
const MAX_NAME = 100;
/**
 * A copy that does not hold on to the line it came from: V8 keeps a slice of a string as a view of the
 * whole (here a 1 MB chunk of the log), so a source or user name kept in the detection state would keep
 * every chunk it was first seen in.
 */
export const detach = (s: string): string => (s.length < 13 ? s : (' ' + s).slice(1));
const clip = (s: string) => detach(s.length > MAX_NAME ? s.slice(0, MAX_NAME) : s);

/**
 * ` from ADDR port N ssh2...` at the end of an sshd message: the last ` from ` is sshd's own, whatever
 * the user name before it contains. Returns the address and what came before it.
 */
function splitFrom(rest: string): { head: string; addr: string; port: string } | undefined {
  const i = rest.lastIndexOf(' from ');
  if (i < 0) return undefined;
  const tail = rest.slice(i + 6);
  const sp = tail.indexOf(' ');
  const addr = sp < 0 ? tail : tail.slice(0, sp);
  if (!validSource(addr)) return undefined;
  return { head: rest.slice(0, i), addr, port: sp < 0 ? '' : portAfter(tail.slice(sp)) };
}

/** The digits of ` port 5555...`, or '' when absent. */
function portAfter(s: string): string {
  if (!s.startsWith(' port ')) return '';
  let j = 6;
  while (j < s.length && j < 12 && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  return s.slice(6, j);
}

/** `USER ADDR port N [preauth]` (connection closed / disconnected): the address is the word before ` port `. */
function splitBeforePort(rest: string): { head: string; addr: string; port: string } | undefined {
  const p = rest.lastIndexOf(' port ');
  if (p < 0) return undefined;
  const before = rest.slice(0, p);
  const sp = before.lastIndexOf(' ');
  if (sp < 0) return undefined;
  const addr = before.slice(sp + 1);
  if (!validSource(addr)) return undefined;
  return { head: before.slice(0, sp), addr, port: portAfter(rest.slice(p)) };
}

/** An address (v4, v6, v4-mapped) or a host name sshd resolved; never something with spaces or control bytes. */
export function validSource(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  if (isIP(s)) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 58 || c === 95;
    if (!ok) return false;
  }
  return /[a-zA-Z]/.test(s) && s.includes('.');
}

/** `::ffff:1.2.3.4` is 1.2.3.4: the same attacker over IPv4 or IPv6 sockets. */
export function normalizeSource(s: string): string {
  return s.startsWith('::ffff:') && isIP(s.slice(7)) === 4 ? s.slice(7) : s;
}

const userOf = (head: string, prefix: string): string | undefined => {
  if (!head.startsWith(prefix)) return undefined;
  let u = head.slice(prefix.length);
  if (u.startsWith('invalid user ')) u = u.slice(13);
  return clip(u);
};

function ev(time: number, kind: EventKind, service: string, source: string | undefined, user: string | undefined, detail?: string): AuthEvent {
  const e: AuthEvent = { time, kind, service };
  if (source !== undefined) e.source = clip(normalizeSource(source));
  if (user !== undefined && user !== '') e.user = clip(user);
  if (detail !== undefined) e.detail = clip(detail);
  return e;
}

const withConn = (e: AuthEvent, f: { addr: string; port: string }): AuthEvent => {
  if (f.port) e.conn = detach(`${e.source} port ${f.port}`);
  return e;
};
const closing = (e: AuthEvent, f: { addr: string; port: string }): AuthEvent => {
  e.closed = true;
  return withConn(e, f);
};

/**
 * sshd: one failure per attempt (`Failed password`, `Failed publickey`, ...). A connection closed while
 * authenticating (`Connection closed by authenticating user`, `... by invalid user`) is marked `closed`:
 * it counts as one failure only when that connection logged none (a probe that never sent a password).
 * `Invalid user x from ...` is not counted on its own: the failure or the close that follows it is.
 */
export function parseSshd(msg: string, time: number): AuthEvent | undefined {
  if (msg.startsWith('Failed ')) {
    const sp = msg.indexOf(' for ', 7);
    if (sp < 0) return undefined;
    const method = msg.slice(7, sp);
    if (method === 'none') return undefined; // the client asking which methods exist, not an attempt
    const f = splitFrom(msg.slice(sp + 1));
    if (!f) return undefined;
    return withConn(ev(time, 'failure', 'ssh', f.addr, userOf(f.head, 'for '), method), f);
  }
  if (msg.startsWith('Accepted ')) {
    const sp = msg.indexOf(' for ', 9);
    if (sp < 0) return undefined;
    const f = splitFrom(msg.slice(sp + 1));
    if (!f) return undefined;
    return ev(time, 'success', 'ssh', f.addr, userOf(f.head, 'for '), msg.slice(9, sp));
  }
  for (const prefix of ['Connection closed by authenticating user ', 'Disconnected from authenticating user ']) {
    if (!msg.startsWith(prefix)) continue;
    const f = splitBeforePort(msg.slice(prefix.length - 5));
    if (!f) return undefined;
    return closing(ev(time, 'failure', 'ssh', f.addr, f.head.slice(5), 'closed while authenticating'), f);
  }
  if (msg.startsWith('Connection closed by invalid user ') || msg.startsWith('Disconnected from invalid user ')) {
    const f = splitBeforePort(msg.slice(msg.indexOf(' invalid user ') + 1));
    if (!f) return undefined;
    return closing(ev(time, 'failure', 'ssh', f.addr, f.head.slice(13), 'invalid user'), f);
  }
  return undefined;
}

/** `key=value` out of a PAM line (`rhost=1.2.3.4  user=root`); the last occurrence, so an injected one is not taken. */
function pamField(msg: string, key: string): string | undefined {
  const i = msg.lastIndexOf(` ${key}=`);
  if (i < 0) return undefined;
  const start = i + key.length + 2;
  const end = msg.indexOf(' ', start);
  const v = end < 0 ? msg.slice(start) : msg.slice(start, end);
  return v === '' ? undefined : v;
}

/**
 * Services whose own lines are counted, so their PAM lines are not counted again (sshd logs `Failed
 * password` for every `pam_unix(sshd:auth)` failure, sudo and su log their own results).
 */
const OWN_LINES = new Set(['sshd', 'sudo', 'su', 'su-l', 'sudo-i']);

/** `pam_unix(login:auth): authentication failure; ... rhost=... user=...` and friends. */
export function parsePam(msg: string, time: number): AuthEvent | undefined {
  const open = msg.indexOf('(');
  const close = msg.indexOf(')', open);
  if (open < 0 || close < 0 || close > 64) return undefined;
  const [service, stage] = msg.slice(open + 1, close).split(':');
  if (msg.charCodeAt(close + 1) !== 58) return undefined; // `):`
  const body = msg.slice(close + 2).trimStart();
  if (stage === 'chauthtok' && body.startsWith('password changed for ')) return ev(time, 'password_change', service, undefined, body.slice(21).trim(), service);
  if (stage !== 'auth' || !body.startsWith('authentication failure;') || OWN_LINES.has(service)) return undefined;
  const rhost = pamField(body, 'rhost');
  const user = pamField(body, 'user') ?? pamField(body, 'ruser');
  return ev(time, 'failure', service === 'login' ? 'login' : service, rhost && validSource(rhost) ? rhost : undefined, user, 'pam');
}

/** sudo: `bob : 3 incorrect password attempts ; TTY=pts/0 ; ...`; the caller's name comes first. */
export function parseSudo(msg: string, time: number): AuthEvent | undefined {
  const sep = msg.indexOf(' : ');
  if (sep < 0 || sep > MAX_NAME + 2) return undefined;
  const user = msg.slice(0, sep).trim();
  const rest = msg.slice(sep + 3);
  const m = /^(\d{1,4}) incorrect password attempts? ;/.exec(rest);
  if (!m) return undefined;
  const e = ev(time, 'failure', 'sudo', 'local', user, 'incorrect password');
  e.repeat = Number(m[1]);
  return e;
}

/** util-linux su: `FAILED SU (to root) bob on pts/0` and `(to root) bob on pts/0`. */
export function parseSu(msg: string, time: number): AuthEvent | undefined {
  const failed = msg.startsWith('FAILED SU (to ');
  const body = failed ? msg.slice(10) : msg;
  if (!body.startsWith('(to ')) return undefined;
  const close = body.indexOf(') ');
  if (close < 0) return undefined;
  const target = body.slice(4, close);
  const rest = body.slice(close + 2);
  const on = rest.lastIndexOf(' on ');
  const by = on < 0 ? rest : rest.slice(0, on);
  return ev(time, failed ? 'failure' : 'success', 'su', 'local', target, `su by ${clip(by)}`);
}

/** Groups whose members are administrators (config `adminGroups`). */
export const DEFAULT_ADMIN_GROUPS = ['sudo', 'wheel', 'admin', 'root'];

/**
 * useradd, usermod, gpasswd, passwd, chpasswd: accounts created, added to an administrators group,
 * passwords changed. `actor` is who ran the command when the log says it (the login user of the tty).
 */
export function parseAccount(program: string, msg: string, time: number, adminGroups: ReadonlySet<string>): AuthEvent | undefined {
  if (program === 'useradd' && msg.startsWith('new user: name=')) {
    const end = msg.indexOf(',', 15);
    return ev(time, 'user_created', 'system', 'local', msg.slice(15, end < 0 ? undefined : end), 'useradd');
  }
  if ((program === 'useradd' || program === 'usermod') && msg.startsWith("add '")) {
    // `add 'bob' to group 'sudo'`; the `shadow group` line for the same change is not counted twice.
    const q = msg.indexOf("' to group '", 5);
    if (q < 0 || !msg.endsWith("'")) return undefined;
    const group = msg.slice(q + 12, -1);
    if (!adminGroups.has(group)) return undefined;
    return ev(time, 'admin_grant', 'system', 'local', msg.slice(5, q), `${program}: group ${group}`);
  }
  if (program === 'gpasswd' && msg.startsWith('user ')) {
    // `user bob added by root to group sudo`
    const a = msg.indexOf(' added by ', 5);
    const g = msg.lastIndexOf(' to group ');
    if (a < 0 || g < a) return undefined;
    const group = msg.slice(g + 10);
    if (!adminGroups.has(group)) return undefined;
    return ev(time, 'admin_grant', 'system', clip(msg.slice(a + 10, g)), msg.slice(5, a), `gpasswd: group ${group}`);
  }
  if (program === 'usermod' && msg.startsWith("change user '") && msg.endsWith("' password")) {
    return ev(time, 'password_change', 'system', 'local', msg.slice(13, -10), 'usermod');
  }
  return undefined;
}

/** The program's events from one message; `repeat` from rsyslog's reduction is applied by the caller. */
export function parseMessage(program: string, msg: string, time: number, adminGroups: ReadonlySet<string>): AuthEvent | undefined {
  if (msg.startsWith('pam_')) return parsePam(msg, time);
  switch (program) {
    case 'sshd':
      return parseSshd(msg, time);
    case 'sudo':
      return parseSudo(msg, time);
    case 'su':
      return parseSu(msg, time);
    case 'useradd':
    case 'usermod':
    case 'gpasswd':
    case 'passwd':
    case 'chpasswd':
      return parseAccount(program, msg, time, adminGroups);
    default:
      return undefined;
  }
}

/** `message repeated 3 times: [ Failed password for ... ]` → the inner message and 3. */
export function unwrapRepeated(msg: string): { msg: string; times: number } {
  if (!msg.startsWith('message repeated ')) return { msg, times: 1 };
  const t = msg.indexOf(' times: [ ', 17);
  if (t < 0 || t > 30 || !msg.endsWith(']')) return { msg, times: 1 };
  const n = Number(msg.slice(17, t));
  if (!Number.isInteger(n) || n < 1) return { msg, times: 1 };
  return { msg: msg.slice(t + 10, -1).trimEnd(), times: Math.min(n, 100_000) };
}
