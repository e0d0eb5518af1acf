// The detections of auth_events: brute force, password spraying, success after failures, new
// administrators and cleared logs, over sliding windows of event time. Memory is bounded (maxSources
// sources, a few times and names each); the whole state is plain data saved with the log cursor.
import type { BlockList } from 'node:net';
import type { AuthEvent } from './events.ts';

export interface Thresholds {
  bruteForce: { failures: number; withinMs: number };
  spraying: { users: number; withinMs: number };
  successAfterFailures: { failures: number; withinMs: number };
}

export type FindingKind = 'brute_force' | 'password_spraying' | 'success_after_failures' | 'new_admin' | 'log_cleared';

/** One ongoing signal; `emitted` is the count last reported (-1: never reported yet). */
export interface Episode {
  kind: FindingKind;
  service: string;
  source: string;
  users: string[];
  distinctUsers: number;
  count: number;
  first: number;
  last: number;
  windowMs: number;
  detail?: string;
  emitted: number;
}

/** Per service and source: the latest failure times and the latest distinct user names with their time. */
interface SourceState {
  f: number[];
  u: [string, number][];
}

export interface DetectorSnapshot {
  sources: [string, SourceState][];
  episodes: [string, Episode][];
  /** sshd connections (`addr port N`) that logged a failure, with its time. */
  conns: [string, number][];
}

export interface RunStats {
  failures: number;
  successes: number;
  events: number;
  lockouts: number;
  accountsCreated: number;
  adminGrants: number;
  passwordChanges: number;
  sourcesDropped: number;
  sources: Set<string>;
  users: Set<string>;
}

/** A finding sample to record: `count` 0 when the signal has ended. */
export interface FindingOut {
  episode: Episode;
  count: number;
  started: boolean;
}

/** Names shown in a finding's `user` field. */
export const USERS_LISTED = 10;
/** Names an episode keeps to count distinct users (its distinct_users stops there). */
const USERS_COUNTED = 50;
const MAX_CONNS = 2048;
const MAX_DISTINCT_PER_RUN = 100_000;

export const emptySnapshot = (): DetectorSnapshot => ({ sources: [], episodes: [], conns: [] });

export class Detector {
  private readonly sources: Map<string, SourceState>;
  private readonly episodes: Map<string, Episode>;
  private readonly conns: Map<string, number>;
  readonly stats: RunStats = { failures: 0, successes: 0, events: 0, lockouts: 0, accountsCreated: 0, adminGrants: 0, passwordChanges: 0, sourcesDropped: 0, sources: new Set(), users: new Set() };
  private readonly keepFailures: number;
  private readonly keepUsers: number;

  constructor(
    snapshot: DetectorSnapshot,
    private readonly t: Thresholds,
    private readonly allow: BlockList | undefined,
    private readonly maxSources: number,
  ) {
    this.sources = new Map(snapshot.sources);
    this.episodes = new Map(snapshot.episodes);
    this.conns = new Map(snapshot.conns);
    this.keepFailures = Math.max(t.bruteForce.failures, t.successAfterFailures.failures);
    this.keepUsers = Math.max(t.spraying.users, USERS_LISTED);
  }

  snapshot(): DetectorSnapshot {
    return { sources: [...this.sources], episodes: [...this.episodes], conns: [...this.conns] };
  }

  get trackedSources(): number {
    return this.sources.size;
  }

  private allowed(source: string): boolean {
    if (!this.allow || source === 'local') return false;
    try {
      return this.allow.check(source, source.includes(':') ? 'ipv6' : 'ipv4');
    } catch {
      return false; // a host name, not an address: never on an address allowlist
    }
  }

  event(e: AuthEvent): void {
    const times = e.repeat ?? 1;
    switch (e.kind) {
      case 'failure':
        if (e.closed) {
          // A connection closing after its failures adds nothing; one that never tried a password is one failure.
          if (e.conn && this.conns.has(e.conn)) return;
        } else if (e.conn) this.rememberConn(e.conn, e.time);
        for (let i = 0; i < times; i++) this.failure(e);
        break;
      case 'success':
        this.stats.events += times;
        this.stats.successes += times;
        this.success(e);
        break;
      case 'lockout':
        this.stats.events += times;
        this.stats.lockouts += times;
        break;
      case 'user_created':
        this.stats.events += times;
        this.stats.accountsCreated += times;
        break;
      case 'password_change':
        this.stats.events += times;
        this.stats.passwordChanges += times;
        break;
      case 'admin_grant':
        this.stats.events += times;
        this.stats.adminGrants += times;
        this.single('new_admin', e, `new_admin|${e.service}|${e.user ?? ''}`);
        break;
      case 'log_cleared':
        this.stats.events += times;
        this.single('log_cleared', e, `log_cleared|${e.service}`);
        break;
    }
  }

  private rememberConn(conn: string, time: number): void {
    this.conns.delete(conn);
    this.conns.set(conn, time);
    if (this.conns.size > MAX_CONNS) this.conns.delete(this.conns.keys().next().value!);
  }

  /** The source's state, most recently used last; the least recently used one goes when the map is full. */
  private touch(key: string): SourceState {
    let s = this.sources.get(key);
    if (s) this.sources.delete(key);
    else {
      s = { f: [], u: [] };
      if (this.sources.size >= this.maxSources) {
        this.sources.delete(this.sources.keys().next().value!);
        this.stats.sourcesDropped++;
      }
    }
    this.sources.set(key, s);
    return s;
  }

  private failure(e: AuthEvent): void {
    const source = e.source ?? 'local';
    this.stats.events++;
    this.stats.failures++;
    if (this.stats.sources.size < MAX_DISTINCT_PER_RUN) this.stats.sources.add(source);
    if (e.user && this.stats.users.size < MAX_DISTINCT_PER_RUN) this.stats.users.add(e.user);
    if (this.allowed(source)) return;
    const key = `${e.service}|${source}`;
    const s = this.touch(key);
    s.f.push(e.time);
    if (s.f.length > this.keepFailures) s.f.shift();
    if (e.user) {
      const at = s.u.findIndex(([u]) => u === e.user);
      if (at >= 0) s.u.splice(at, 1);
      s.u.push([e.user, e.time]);
      if (s.u.length > this.keepUsers) s.u.shift();
    }
    this.bruteForce(e, source, key, s);
    this.spraying(e, source, key, s);
  }

  /** The episode of this key if it is still going at `time`; one that went quiet is closed for finish(). */
  private ongoing(id: string, time: number): Episode | undefined {
    const ep = this.episodes.get(id);
    if (!ep || ep.count === 0) return undefined;
    if (time - ep.last <= ep.windowMs) return ep;
    return undefined;
  }

  private open(id: string, ep: Omit<Episode, 'emitted'>): void {
    const old = this.episodes.get(id);
    if (old && old.count > 0) {
      // The last one went quiet: it is reported (and ended) on its own, under its own id.
      this.episodes.delete(id);
      this.episodes.set(`${id}|${old.first}`, old);
    }
    this.episodes.set(id, { ...ep, emitted: -1 });
  }

  private bruteForce(e: AuthEvent, source: string, key: string, s: SourceState): void {
    const { failures: n, withinMs } = this.t.bruteForce;
    const id = `brute_force|${key}`;
    const ep = this.ongoing(id, e.time);
    if (ep) {
      ep.count++;
      ep.last = Math.max(ep.last, e.time);
      if (e.user) addUser(ep, e.user);
      return;
    }
    if (s.f.length < n || e.time - s.f[s.f.length - n] > withinMs) return;
    const users = s.u.filter(([, t]) => t >= s.f[s.f.length - n]).map(([u]) => u);
    this.open(id, { kind: 'brute_force', service: e.service, source, users: users.slice(-USERS_COUNTED), distinctUsers: Math.min(users.length, USERS_COUNTED), count: n, first: s.f[s.f.length - n], last: e.time, windowMs: withinMs, detail: e.detail });
  }

  private spraying(e: AuthEvent, source: string, key: string, s: SourceState): void {
    if (!e.user) return;
    const { users: k, withinMs } = this.t.spraying;
    const id = `password_spraying|${key}`;
    const ep = this.ongoing(id, e.time);
    if (ep) {
      ep.last = Math.max(ep.last, e.time);
      if (addUser(ep, e.user)) ep.count = ep.distinctUsers;
      return;
    }
    const recent = s.u.filter(([, t]) => e.time - t <= withinMs);
    if (recent.length < k) return;
    const names = recent.map(([u]) => u);
    this.open(id, { kind: 'password_spraying', service: e.service, source, users: names.slice(0, USERS_COUNTED), distinctUsers: Math.min(names.length, USERS_COUNTED), count: names.length, first: recent[0][1], last: e.time, windowMs: withinMs, detail: e.detail });
  }

  private success(e: AuthEvent): void {
    if (!e.source || this.allowed(e.source)) return;
    const key = `${e.service}|${e.source}`;
    const s = this.sources.get(key);
    if (!s) return;
    const { failures: n, withinMs } = this.t.successAfterFailures;
    const before = s.f.filter((t) => t <= e.time && e.time - t <= withinMs);
    if (before.length < n) return;
    const id = `success_after_failures|${key}`;
    // The ring keeps the latest failures only; an ongoing brute force knows how many there were.
    const failed = Math.max(before.length, this.ongoing(`brute_force|${key}`, e.time)?.count ?? 0);
    const ep = this.ongoing(id, e.time);
    if (ep) {
      ep.count += failed;
      ep.last = Math.max(ep.last, e.time);
      if (e.user) addUser(ep, e.user);
    } else {
      this.open(id, { kind: 'success_after_failures', service: e.service, source: e.source, users: e.user ? [e.user] : [], distinctUsers: e.user ? 1 : 0, count: failed, first: before[0], last: e.time, windowMs: withinMs, detail: e.detail });
    }
    // The failures are spent: another success needs a new run of failures to be flagged.
    s.f = [];
  }

  /** new_admin and log_cleared: each event is reported; they end at the next run. */
  private single(kind: FindingKind, e: AuthEvent, id: string): void {
    const ep = this.episodes.get(id);
    if (ep && ep.count > 0) {
      ep.count += e.repeat ?? 1;
      ep.last = Math.max(ep.last, e.time);
      if (e.source && ep.source !== e.source) ep.source = e.source;
      return;
    }
    this.open(id, { kind, service: e.service, source: e.source ?? 'local', users: e.user ? [e.user] : [], distinctUsers: e.user ? 1 : 0, count: e.repeat ?? 1, first: e.time, last: e.time, windowMs: 0, detail: e.detail });
  }

  /**
   * What to report at the end of a run at `now`: new findings, findings whose count grew, and ends
   * (count 0) of those gone quiet for their window (single events: at the run after). At most `limit`.
   */
  finish(now: number, limit: number): { out: FindingOut[]; dropped: number } {
    const out: FindingOut[] = [];
    let dropped = 0;
    const room = () => (out.length < limit ? true : (dropped++, false));
    for (const [id, ep] of this.episodes) {
      const quiet = ep.windowMs > 0 ? now - ep.last > ep.windowMs : ep.emitted >= 0 && ep.emitted === ep.count;
      if (ep.emitted < 0) {
        if (!room()) continue;
        out.push({ episode: ep, count: ep.count, started: true });
        ep.emitted = ep.count;
        if (ep.windowMs === 0) continue;
      } else if (ep.count !== ep.emitted && !quiet) {
        if (!room()) continue;
        out.push({ episode: ep, count: ep.count, started: false });
        ep.emitted = ep.count;
        continue;
      }
      if (quiet && ep.emitted >= 0) {
        if (!room()) continue;
        out.push({ episode: { ...ep }, count: 0, started: false });
        this.episodes.delete(id);
      }
    }
    this.prune(now);
    return { out, dropped };
  }

  /** Sources whose every failure is older than the longest window can no longer count: forgotten. */
  private prune(now: number): void {
    const longest = Math.max(this.t.bruteForce.withinMs, this.t.spraying.withinMs, this.t.successAfterFailures.withinMs);
    for (const [key, s] of this.sources) {
      const latest = Math.max(s.f.length ? s.f[s.f.length - 1] : 0, s.u.length ? s.u[s.u.length - 1][1] : 0);
      if (now - latest > longest) this.sources.delete(key);
    }
    for (const [conn, t] of this.conns) if (now - t > longest) this.conns.delete(conn);
    while (this.episodes.size > this.maxSources) {
      this.episodes.delete(this.episodes.keys().next().value!);
      this.stats.sourcesDropped++;
    }
  }
}

/** Adds a user name to an episode's list; true when it was new to it. */
function addUser(ep: Episode, user: string): boolean {
  if (ep.users.length >= USERS_COUNTED || ep.users.includes(user)) return false;
  ep.users.push(user);
  ep.distinctUsers = ep.users.length;
  return true;
}
