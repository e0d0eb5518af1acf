// The alert state machine (ok, pending, firing, resolved), fed by the ingest stream and a timer
// rather than by InfluxDB queries, so alerting works while InfluxDB is down.
import type { WireSample } from '../../protocol/index.ts';
import type { AgentIdentity } from '../ingest/ingest.ts';
import { CadenceTracker } from './cadence.ts';
import { FailureLog, type AlertLog } from './failures.ts';
import { fingerprintOf, labelsOf } from './fingerprint.ts';
import { matchesAll } from './matchers.ts';
import { conditionHolds, type Rule } from './rules.ts';
import type { AlertRow, AlertStore } from './store.ts';

/** In memory per watched thing; only pending and firing ones are also rows in SQLite. */
interface Instance {
  rule: Rule;
  rowId?: number;
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
}

export type AlertChange = 'firing' | 'resolved';

export interface EngineOptions {
  rules: Rule[];
  store: AlertStore;
  /** Called after a state change is stored (annotations). */
  onChange?: (row: AlertRow, change: AlertChange) => void;
  startedAt: number;
  /** Where a rule that fails is reported (by name); it is skipped and the other rules go on. */
  log?: AlertLog;
}

/**
 * The alert state machine: ok → pending (condition true) → firing (held for `for`) → resolved
 * (condition false for `resolveAfter`). Fed by the ingest stream (`observe`) and a timer (`tick`),
 * never by queries. Only state changes touch SQLite, so a busy ingest costs a map lookup per sample.
 */
export class AlertEngine {
  private readonly byMeasurement = new Map<string, Rule[]>();
  private readonly absentRules: Rule[];
  private readonly instances = new Map<string, Instance>();
  /** Instances per rule, so a rule with none skips the key of a healthy sample. */
  private readonly live = new Map<Rule, number>();
  readonly cadence = new CadenceTracker();
  private readonly store: AlertStore;
  private readonly failures: FailureLog;

  constructor(private readonly opts: EngineOptions) {
    this.store = opts.store;
    this.failures = new FailureLog(opts.log);
    for (const rule of opts.rules) {
      if (rule.kind === 'absent') continue;
      for (const m of rule.measurements) {
        const list = this.byMeasurement.get(m) ?? [];
        list.push(rule);
        this.byMeasurement.set(m, list);
      }
    }
    this.absentRules = opts.rules.filter((r) => r.kind === 'absent');
    this.restore();
  }

  /** Bring back pending and firing alerts after a restart; a rule that no longer exists resolves its alerts. */
  private restore(): void {
    const rules = new Map(this.opts.rules.map((r) => [r.name, r]));
    for (const row of this.store.open()) {
      const rule = rules.get(row.rule);
      if (!rule) {
        if (row.state === 'pending') this.store.dropPending(row.id);
        else this.resolveRow(row.id, this.opts.startedAt);
        continue;
      }
      const inst: Instance = { rule, rowId: row.id, state: row.state === 'firing' ? 'firing' : 'pending', since: row.activeSince, lastTime: row.activeSince, value: row.value ?? undefined, labels: row.labels };
      if (row.state === 'firing' && row.clearSince !== null) inst.clearSince = row.clearSince;
      // The baseline of a score drop is not stored: recovering by the threshold from the dropped value resolves it.
      if (rule.op === 'decrease' && row.value !== null) inst.baseline = row.value + (rule.threshold as number) + 1e-9;
      this.track(row.fingerprint, inst);
    }
    this.cadence.restore(this.store.loadCadence(), this.opts.startedAt);
  }

  observe(agent: AgentIdentity, samples: WireSample[], now: number): void {
    const statusTimes: number[] = [];
    let host: string | undefined;
    for (const s of samples) {
      if (s.measurement === 'agent_status') {
        statusTimes.push(Date.parse(s.time));
        host = s.tags.host ?? host;
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
          this.ruleFailed(rule, err, now);
        }
      }
    }
    if (this.absentRules.length > 0 && agent.id) {
      this.cadence.seen(agent.id, agent.agency, now, statusTimes.sort((a, b) => a - b), host);
      for (const rule of this.absentRules) {
        const key = this.absentKey(rule, agent.id, agent.agency);
        const inst = this.instances.get(key);
        if (!inst) continue;
        this.clear(inst, now, now);
        if (inst.state === 'ok') this.untrack(key);
      }
    }
  }

  /** One rule's failure is its own: logged with its name, the sample goes on to the other rules. */
  private ruleFailed(rule: Rule, err: unknown, now: number): void {
    this.failures.report(`rule:${rule.name}`, { rule: rule.name }, 'alert rule failed and was skipped', err, now);
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
      inst = { rule, state: 'ok', since: t, lastTime: t, labels: labelsOf(rule, s) };
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
      if (inst.clearSince !== undefined && inst.rowId !== undefined) this.store.update(inst.rowId, { clear_since: null });
      inst.clearSince = undefined;
      if (inst.state === 'ok') {
        inst.state = 'pending';
        inst.since = t;
        inst.rowId = this.store.openAlert({ fingerprint: key, rule: rule.name, severity: rule.severity, agency: s.tags.agency ?? '', agent: s.tags.agent, labels: inst.labels, value, activeSince: t });
      }
      if (inst.state === 'pending' && now - inst.since >= rule.forMs) this.fire(inst, now);
      return;
    }
    this.clear(inst, t, now);
    if (inst.state === 'ok' && !needsHistory) this.untrack(key);
  }

  /** The condition is false as of `t`. */
  private clear(inst: Instance, t: number, now: number): void {
    if (inst.state === 'pending') {
      this.store.dropPending(inst.rowId!);
      inst.state = 'ok';
      inst.rowId = undefined;
      return;
    }
    if (inst.state !== 'firing') return;
    if (inst.clearSince === undefined) {
      inst.clearSince = t;
      this.store.update(inst.rowId!, { clear_since: t });
    }
    if (now - inst.clearSince >= inst.rule.resolveAfterMs) this.resolve(inst, now);
  }

  private fire(inst: Instance, now: number): void {
    inst.state = 'firing';
    this.store.update(inst.rowId!, { state: 'firing', fired_at: now, value: inst.value ?? null, labels: inst.labels });
    const row = this.store.get(inst.rowId!);
    if (row) this.opts.onChange?.(row, 'firing');
  }

  private resolve(inst: Instance, now: number): void {
    this.resolveRow(inst.rowId!, now);
    inst.state = 'ok';
    inst.rowId = undefined;
    inst.clearSince = undefined;
    // A score that recovered sets a new baseline from its next sample.
    if (inst.rule.op === 'decrease') inst.baseline = undefined;
  }

  private resolveRow(id: number, now: number): void {
    this.store.update(id, { state: 'resolved', resolved_at: now });
    const row = this.store.get(id);
    if (row) this.opts.onChange?.(row, 'resolved');
  }

  private absentKey(rule: Rule, agent: string, agency: string): string {
    return fingerprintOf(rule, { agency, agent });
  }

  /** Timers: `for` and `resolveAfter` deadlines without new samples, and silent agents. */
  tick(now: number): void {
    for (const [key, inst] of this.instances) {
      try {
        if (inst.state === 'pending' && now - inst.since >= inst.rule.forMs) this.fire(inst, now);
        else if (inst.state === 'firing' && inst.clearSince !== undefined && now - inst.clearSince >= inst.rule.resolveAfterMs) {
          this.resolve(inst, now);
          if (inst.rule.op !== 'increase' && inst.rule.op !== 'decrease') this.untrack(key);
        }
      } catch (err) {
        this.ruleFailed(inst.rule, err, now);
      }
    }
    for (const rule of this.absentRules) {
      try {
        this.watchAbsent(rule, now);
      } catch (err) {
        this.ruleFailed(rule, err, now);
      }
    }
  }

  /** An absent rule: agents silent for `missedIntervals` of their own interval. */
  private watchAbsent(rule: Rule, now: number): void {
    for (const c of this.cadence.agents.values()) {
      if (!c.intervalMs) continue;
      const windowMs = rule.missedIntervals * c.intervalMs;
      const silentFor = now - c.lastArrival;
      const key = this.absentKey(rule, c.agent, c.agency);
      if (silentFor <= windowMs || this.instances.has(key)) continue;
      const labels: Record<string, string> = { agency: c.agency, agent: c.agent, rule: rule.name, severity: rule.severity, measurement: 'agent_status' };
      if (c.host) labels.host = c.host;
      const since = c.lastArrival + windowMs;
      const inst: Instance = { rule, state: 'pending', since, lastTime: now, value: Math.round(silentFor / 1000), labels };
      inst.rowId = this.store.openAlert({ fingerprint: key, rule: rule.name, severity: rule.severity, agency: c.agency, agent: c.agent, labels, value: inst.value, activeSince: since });
      this.track(key, inst);
      if (now - since >= rule.forMs) this.fire(inst, now);
    }
  }

  /** Revoked agents are retired on purpose: no longer watched, and a silent alert of theirs resolves. */
  forgetAgents(ids: string[], now: number): void {
    for (const id of ids) {
      const c = this.cadence.agents.get(id);
      if (!c) continue;
      for (const rule of this.absentRules) {
        const key = this.absentKey(rule, id, c.agency);
        const inst = this.instances.get(key);
        if (inst?.state === 'firing') this.resolve(inst, now);
        else if (inst?.state === 'pending') this.clear(inst, now, now);
        this.untrack(key);
      }
      this.cadence.forget(id);
      this.store.forgetCadence(id);
    }
  }

  /** Persist what the agent-silent rule learnt (called on a slow timer and at close). */
  saveCadence(): void {
    const dirty = [...this.cadence.agents.values()].filter((c) => c.dirty);
    if (dirty.length === 0) return;
    this.store.saveCadence(dirty);
    for (const c of dirty) c.dirty = false;
  }

  openCount(): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.state !== 'ok') n++;
    return n;
  }
}
