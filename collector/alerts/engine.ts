// The alert state machine (ok, pending, firing, resolved), fed by the ingest stream and a timer
// rather than by InfluxDB queries, so alerting works while InfluxDB is down.
import type { WireSample } from '../../protocol/index.ts';
import type { AgentIdentity } from '../ingest/ingest.ts';
import { CadenceTracker } from './cadence.ts';
import { FailureLog, type AlertLog } from './failures.ts';
import { fingerprintOf, labelsOf } from './fingerprint.ts';
import { matchesAll } from './matchers.ts';
import { conditionHolds, type Rule } from './rules.ts';
import type { AlertOpen, AlertRow, AlertStore } from './store.ts';

/** The open row an instance stands for; its id is known once the queued insert ran. */
interface Episode {
  id?: number;
}

/** In memory per watched thing; only pending and firing ones are also rows in the state database. */
interface Instance {
  rule: Rule;
  episode?: Episode;
  state: 'ok' | 'pending' | 'firing';
  /** When the condition became true (sample time). */
  since: number;
  /** While firing: when the condition became false (sample time). */
  clearSince?: number;
  lastTime: number;
  previous?: number;
  baseline?: number;
  value?: number;
  labels: Record<string, string>;
  /** The engine's write count when this instance last changed (reconcile leaves newer ones alone). */
  version: number;
}

export type AlertChange = 'firing' | 'resolved';

export interface EngineOptions {
  rules: Rule[];
  store: AlertStore;
  /** Called after a state change this engine made is stored (annotations): once across collectors. */
  onChange?: (row: AlertRow, change: AlertChange) => void;
  startedAt: number;
  /** Where a rule that fails is reported (by name); it is skipped and the other rules go on. */
  log?: AlertLog;
}

/** Writes waiting beyond this many: new alerts wait for the database to catch up (a bound, not a loss of state). */
const MAX_QUEUED_WRITES = 10_000;

/**
 * The alert state machine: ok → pending (condition true) → firing (held for `for`) → resolved
 * (condition false for `resolveAfter`). Fed by the ingest stream (`observe`) and a timer (`tick`),
 * never by queries. Only state changes touch the database, through one queue of writes in order, so a
 * busy ingest costs a map lookup per sample and never waits on the database.
 *
 * Several collectors each run one over the same database: every transition is a conditional write
 * (one open alert per fingerprint, fire only what is pending, resolve only what is firing and clear),
 * so each firing and resolve happens once whoever sees it, and `tick` brings each engine's memory in
 * line with what the others stored. The agent-silent rule runs on the leader alone, on the arrivals
 * every collector records.
 */
export class AlertEngine {
  private readonly byMeasurement = new Map<string, Rule[]>();
  private readonly absentRules: Rule[];
  private readonly rulesByName: Map<string, Rule>;
  private readonly instances = new Map<string, Instance>();
  /** Instances per rule, so a rule with none skips the key of a healthy sample. */
  private readonly live = new Map<Rule, number>();
  readonly cadence = new CadenceTracker();
  private readonly store: AlertStore;
  private readonly failures: FailureLog;
  private writes: Promise<void> = Promise.resolve();
  private queued = 0;
  private version = 0;
  private reconciled = false;

  constructor(private readonly opts: EngineOptions) {
    this.store = opts.store;
    this.failures = new FailureLog(opts.log);
    this.rulesByName = new Map(opts.rules.map((r) => [r.name, r]));
    for (const rule of opts.rules) {
      if (rule.kind === 'absent') continue;
      for (const m of rule.measurements) {
        const list = this.byMeasurement.get(m) ?? [];
        list.push(rule);
        this.byMeasurement.set(m, list);
      }
    }
    this.absentRules = opts.rules.filter((r) => r.kind === 'absent');
  }

  /** Queue a write of `inst`'s after the ones before it (reconcile leaves an instance with one queued alone). */
  private later(inst: Instance, write: () => Promise<void>): void {
    inst.version = ++this.version;
    this.queue(inst.rule.name, write);
  }

  /** Queue a write after the ones before it; one that fails is its rule's failure, and the queue goes on. */
  private queue(rule: string, write: () => Promise<void>): void {
    this.queued++;
    this.writes = this.writes
      .then(write)
      .catch((err) => this.ruleFailed(rule, err, Date.now()))
      .finally(() => this.queued--);
  }

  /** Resolves when every write queued so far is in the database (or failed and was logged). */
  flushed(): Promise<void> {
    return this.writes;
  }

  observe(agent: AgentIdentity, samples: WireSample[], now: number): void {
    const statusTimes: number[] = [];
    let host: string | undefined;
    let reportedMs: number | undefined;
    for (const s of samples) {
      if (s.measurement === 'agent_status') {
        statusTimes.push(Date.parse(s.time));
        host = s.tags.host ?? host;
        const interval = s.fields.status_interval_ms;
        if (typeof interval === 'number') reportedMs = interval;
      }
      const rules = this.byMeasurement.get(s.measurement);
      if (!rules) continue;
      for (const rule of rules) {
        try {
          if (rule.compiled.length > 0 && !matchesAll(rule.compiled, s.tags)) continue;
          const value = s.fields[rule.field];
          if (typeof value !== 'number') continue;
          this.judge(rule, s, value, Math.min(Date.parse(s.time), now), now);
        } catch (err) {
          this.ruleFailed(rule.name, err, now);
        }
      }
    }
    if (this.absentRules.length > 0 && agent.id) {
      this.cadence.seen(agent.id, agent.agency, now, statusTimes.sort((a, b) => a - b), host, reportedMs);
      for (const rule of this.absentRules) this.arrived(this.absentKey(rule, agent.id, agent.agency), now);
    }
  }

  /** An agent that reports is not silent: its agent-silent alert clears (and resolves after resolveAfter). */
  private arrived(key: string, now: number): void {
    const inst = this.instances.get(key);
    if (!inst) return;
    this.clear(inst, now, now);
    if (inst.state === 'ok') this.untrack(key);
  }

  /** One rule's failure is its own: logged with its name, the sample goes on to the other rules. */
  private ruleFailed(rule: string, err: unknown, now: number): void {
    this.failures.report(`rule:${rule}`, { rule }, 'alert rule failed and was skipped', err, now);
  }

  private track(key: string, inst: Instance): void {
    if (!this.instances.has(key)) this.live.set(inst.rule, (this.live.get(inst.rule) ?? 0) + 1);
    this.instances.set(key, inst);
  }

  private untrack(key: string): void {
    const inst = this.instances.get(key);
    if (!inst) return;
    this.instances.delete(key);
    this.live.set(inst.rule, (this.live.get(inst.rule) ?? 1) - 1);
  }

  private judge(rule: Rule, s: WireSample, value: number, t: number, now: number): void {
    // The common case, a healthy sample of a rule with nothing pending or firing, needs no key.
    if (!this.live.get(rule) && rule.op !== 'increase' && rule.op !== 'decrease' && !conditionHolds(rule, value, undefined, undefined)) return;
    const key = fingerprintOf(rule, s.tags, s);
    let inst = this.instances.get(key);
    if (inst && t < inst.lastTime) return; // a late sample says nothing about now
    // The same point again (an agent resending a batch whose answer it never got): nothing new.
    if (inst && t === inst.lastTime && value === inst.previous) return;
    const holds = conditionHolds(rule, value, inst?.previous, inst?.baseline);
    const needsHistory = rule.op === 'increase' || rule.op === 'decrease';
    if (!inst) {
      if (!holds && !needsHistory) return;
      inst = { rule, state: 'ok', since: t, lastTime: t, labels: labelsOf(rule, s), version: 0 };
      this.track(key, inst);
    }
    inst.lastTime = t;
    inst.previous = value;
    if (holds === undefined) {
      // increase/decrease with no history yet: this sample becomes the history.
      if (rule.op === 'decrease') inst.baseline = value;
      return;
    }
    if (rule.op === 'decrease' && !holds && inst.state === 'ok') inst.baseline = value;
    if (holds) {
      inst.value = value;
      inst.labels = labelsOf(rule, s);
      if (inst.clearSince !== undefined) this.setClearSince(inst, undefined);
      if (inst.state === 'ok') {
        if (this.queued >= MAX_QUEUED_WRITES) return;
        inst.state = 'pending';
        inst.since = t;
        this.openRow(inst, { fingerprint: key, rule: rule.name, severity: rule.severity, agency: s.tags.agency ?? '', agent: s.tags.agent, labels: inst.labels, value, activeSince: t });
      }
      if (inst.state === 'pending' && now - inst.since >= rule.forMs) this.fire(inst, now);
      return;
    }
    this.clear(inst, t, now);
    if (inst.state === 'ok' && !needsHistory) this.untrack(key);
  }

  /** The pending row of a new episode; another collector's open one of the same fingerprint is taken over instead. */
  private openRow(inst: Instance, a: AlertOpen): void {
    const episode: Episode = {};
    inst.episode = episode;
    this.later(inst, async () => {
      const { row, created } = await this.store.openAlert(a);
      episode.id = row.id;
      if (!created && inst.episode === episode) this.takeOver(inst, row);
    });
  }

  private setClearSince(inst: Instance, t: number | undefined): void {
    inst.clearSince = t;
    const episode = inst.episode;
    this.later(inst, async () => {
      if (episode?.id !== undefined) await this.store.update(episode.id, { clear_since: t ?? null });
    });
  }

  /** The condition is false as of `t`. */
  private clear(inst: Instance, t: number, now: number): void {
    if (inst.state === 'pending') {
      const episode = inst.episode;
      this.later(inst, async () => {
        if (episode?.id !== undefined) await this.store.dropPending(episode.id);
      });
      this.endEpisode(inst);
      return;
    }
    if (inst.state !== 'firing') return;
    if (inst.clearSince === undefined) this.setClearSince(inst, t);
    if (now - inst.clearSince! >= inst.rule.resolveAfterMs) this.resolve(inst, now, true);
  }

  private fire(inst: Instance, now: number): void {
    inst.state = 'firing';
    const { episode, labels } = inst;
    const value = inst.value ?? null;
    this.later(inst, async () => {
      if (episode?.id === undefined) return;
      // Not fired here when another collector fired it first, or it was dropped: the next tick catches up.
      const row = await this.store.fire(episode.id, now, value, labels);
      if (row) this.opts.onChange?.(row, 'firing');
    });
  }

  /** `whileClear`: only if nobody saw the condition hold again since (false for a rule gone from the config). */
  private resolve(inst: Instance, now: number, whileClear: boolean): void {
    const episode = inst.episode;
    this.later(inst, async () => {
      if (episode?.id === undefined) return;
      const row = await this.store.resolve(episode.id, now, whileClear);
      if (row) this.opts.onChange?.(row, 'resolved');
    });
    this.endEpisode(inst);
  }

  private endEpisode(inst: Instance): void {
    const wasFiring = inst.state === 'firing';
    inst.state = 'ok';
    inst.episode = undefined;
    inst.clearSince = undefined;
    // A score that recovered sets a new baseline from its next sample.
    if (wasFiring && inst.rule.op === 'decrease') inst.baseline = undefined;
  }

  /** This instance now stands for an open row another engine stored (its start, state and countdown). */
  private takeOver(inst: Instance, row: AlertRow): void {
    inst.episode = { id: row.id };
    inst.state = row.state === 'firing' ? 'firing' : 'pending';
    inst.since = Math.min(inst.since, row.activeSince);
    inst.clearSince = row.state === 'firing' && row.clearSince !== null ? row.clearSince : undefined;
    inst.value = inst.value ?? row.value ?? undefined;
  }

  private absentKey(rule: Rule, agent: string, agency: string): string {
    return fingerprintOf(rule, { agency, agent });
  }

  /**
   * Timers: first this engine's memory is brought in line with the open alerts in the database (what
   * other collectors, or this one before a restart, stored); then `for` and `resolveAfter` deadlines
   * without new samples; then, on the leader, silent agents. Resolves when the writes are stored.
   */
  async tick(now: number, leader = true): Promise<void> {
    try {
      await this.reconcile(now);
    } catch (err) {
      this.opts.log?.error({ err }, 'open alerts not read: this round works from memory');
    }
    for (const [key, inst] of this.instances) {
      try {
        if (inst.state === 'pending' && now - inst.since >= inst.rule.forMs) this.fire(inst, now);
        else if (inst.state === 'firing' && inst.clearSince !== undefined && now - inst.clearSince >= inst.rule.resolveAfterMs) {
          this.resolve(inst, now, true);
          if (inst.rule.op !== 'increase' && inst.rule.op !== 'decrease') this.untrack(key);
        }
      } catch (err) {
        this.ruleFailed(inst.rule.name, err, now);
      }
    }
    if (leader) {
      for (const rule of this.absentRules) {
        try {
          this.watchAbsent(rule, now);
        } catch (err) {
          this.ruleFailed(rule.name, err, now);
        }
      }
    }
    await this.flushed();
  }

  /** The open alerts in the database win over memory, except for instances that changed while they were read. */
  private async reconcile(now: number): Promise<void> {
    await this.flushed();
    const mark = this.version;
    const rows = await this.store.open();
    const first = !this.reconciled;
    this.reconciled = true;
    const byKey = new Map(rows.map((r) => [r.fingerprint, r]));
    for (const [key, inst] of this.instances) {
      if (inst.version > mark) continue;
      const row = byKey.get(key);
      if (row) this.takeOver(inst, row);
      else if (inst.state !== 'ok') {
        // Resolved or dropped elsewhere.
        this.endEpisode(inst);
        if (inst.rule.op !== 'increase' && inst.rule.op !== 'decrease') this.untrack(key);
      }
    }
    for (const row of rows) {
      if (this.instances.has(row.fingerprint)) continue;
      const rule = this.rulesByName.get(row.rule);
      if (rule) this.adopt(rule, row);
      // A rule gone from this collector's config resolves its alerts, once, when the collector starts.
      else if (first) this.retire(row, now);
    }
  }

  /** An open row with no instance here: watched from now on as if this engine had opened it. */
  private adopt(rule: Rule, row: AlertRow): void {
    const inst: Instance = { rule, state: 'ok', since: row.activeSince, lastTime: row.activeSince, labels: row.labels, version: 0 };
    this.takeOver(inst, row);
    // The baseline of a score drop is not stored: recovering by the threshold from the dropped value resolves it.
    if (rule.op === 'decrease' && row.value !== null) inst.baseline = row.value + (rule.threshold as number) + 1e-9;
    this.track(row.fingerprint, inst);
  }

  /** The open alert of a rule gone from the config: a pending one never existed, a firing one resolves. */
  private retire(row: AlertRow, now: number): void {
    this.queue(row.rule, async () => {
      if (row.state === 'pending') return this.store.dropPending(row.id);
      const resolved = await this.store.resolve(row.id, now, false);
      if (resolved) this.opts.onChange?.(resolved, 'resolved');
    });
  }

  /** An absent rule: agents silent for `missedIntervals` of their own interval (arrivals on any collector count). */
  private watchAbsent(rule: Rule, now: number): void {
    for (const c of this.cadence.agents.values()) {
      if (!c.intervalMs) continue;
      const windowMs = rule.missedIntervals * c.intervalMs;
      const silentFor = now - c.lastArrival;
      const key = this.absentKey(rule, c.agent, c.agency);
      const open = this.instances.get(key);
      // It reported (to this collector or another) after the silence began.
      if (open && open.state !== 'ok' && c.arrivedAt > open.since - windowMs) this.arrived(key, now);
      if (silentFor <= windowMs) continue;
      if (this.instances.has(key) || this.queued >= MAX_QUEUED_WRITES) continue;
      const labels: Record<string, string> = { agency: c.agency, agent: c.agent, rule: rule.name, severity: rule.severity, measurement: 'agent_status' };
      if (c.host) labels.host = c.host;
      const since = c.lastArrival + windowMs;
      const inst: Instance = { rule, state: 'pending', since, lastTime: now, value: Math.round(silentFor / 1000), labels, version: 0 };
      this.track(key, inst);
      this.openRow(inst, { fingerprint: key, rule: rule.name, severity: rule.severity, agency: c.agency, agent: c.agent, labels, value: inst.value, activeSince: since });
      if (now - since >= rule.forMs) this.fire(inst, now);
    }
  }

  /** Revoked agents are retired on purpose: no longer watched, and a silent alert of theirs resolves. */
  async forgetAgents(ids: string[], now: number): Promise<void> {
    for (const id of ids) {
      const c = this.cadence.agents.get(id);
      if (!c) continue;
      for (const rule of this.absentRules) {
        const key = this.absentKey(rule, id, c.agency);
        const inst = this.instances.get(key);
        if (inst?.state === 'firing') this.resolve(inst, now, false);
        else if (inst?.state === 'pending') this.clear(inst, now, now);
        this.untrack(key);
      }
      this.cadence.forget(id);
      await this.store.forgetCadence(id);
    }
    await this.flushed();
  }

  /** Store what the agent-silent rule learnt here (called on a slow timer and at close). */
  async saveCadence(): Promise<void> {
    const dirty = [...this.cadence.agents.values()].filter((c) => c.dirty);
    if (dirty.length === 0) return;
    for (const c of dirty) c.dirty = false;
    try {
      await this.store.saveCadence(dirty.map((c) => ({ agent: c.agent, agency: c.agency, intervalMs: c.intervalMs, lastArrival: c.arrivedAt })));
    } catch (err) {
      for (const c of dirty) c.dirty = true;
      throw err;
    }
  }

  /** What every collector stored of agents' arrivals (the leader's silent-agent watch counts them all). */
  async loadCadence(): Promise<void> {
    this.cadence.merge(await this.store.loadCadence(), this.opts.startedAt);
  }

  openCount(): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.state !== 'ok') n++;
    return n;
  }
}
