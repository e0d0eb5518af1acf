// Builds and runs the whole alerting subsystem (store, engine, notifier, delivery through e-mail and the
// other channels, annotations) for the collector: what service.ts starts and ingest feeds.
import type { WireSample } from '../../protocol/index.ts';
import type { AgentIdentity } from '../ingest/ingest.ts';
import type { DB } from '../state/db.ts';
import { sqliteStateSql, type StateSql } from '../state/sql/connect.ts';
import { AnnotationWriter } from './annotations.ts';
import { systemClock, type Clock } from './clock.ts';
import { buildChannels } from './channels/index.ts';
import { NotificationDelivery } from './delivery.ts';
import { AlertEngine } from './engine.ts';
import { Notifier } from './notifier.ts';
import type { AgencyInfo } from './routing.ts';
import type { AlertSettings, SmtpSettings } from './settings.ts';
import { pruneAlertHistory } from './history-prune.ts';
import { attachmentsOf } from './queue-store.ts';
import { listSilences, type SilenceRow } from './silence-store.ts';
import { AlertStore } from './store.ts';
import { summaryOf } from './templates.ts';

export interface AlertingOptions {
  /** The state database; `db` instead gives a SQLite handle to wrap (tests). */
  state?: StateSql;
  db?: DB;
  /**
   * Whether this collector holds the leader lease now (several collectors on one PostgreSQL): only the
   * leader watches for silent agents, composes notifications and prunes. Always, by default.
   */
  leader?: () => boolean;
  settings: AlertSettings;
  smtp?: SmtpSettings;
  agencies: AgencyInfo[];
  /** The collector's InfluxDB writer, for annotations. */
  writer?: { write(samples: WireSample[]): Promise<void> };
  clock?: Clock;
  /** false: no timers; the caller drives `tick()` (tests with a manual clock). */
  timers?: boolean;
  log?: { warn(o: object, m: string): void; error(o: object, m: string): void; info?(o: object, m: string): void };
}

export interface Alerting {
  store: AlertStore;
  state: StateSql;
  engine: AlertEngine;
  notifier: Notifier;
  delivery: NotificationDelivery;
  annotations: AnnotationWriter;
  observe(agent: AgentIdentity, samples: WireSample[], now?: number): void;
  /**
   * One round of timers: deadlines, silent agents, notifications; the delivery pump runs in the background.
   * Rounds asked for while one runs follow it, one after the other.
   */
  tick(): Promise<void>;
  /** Wait until the deliveries and annotation flush in progress are done (tests, shutdown). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const CADENCE_SAVE_MS = 5000;
const PRUNE_EVERY_MS = 3_600_000;
const ANNOTATION_FLUSH_MS = 5000;

/**
 * Rounds one at a time: one asked for while another runs starts when it ends (the timer skips instead
 * while one runs: the next interval comes soon enough, and a slow database must not pile rounds up).
 */
function oneAtATime(round: () => Promise<void>): { run(): Promise<void>; busy(): boolean; idle(): Promise<void> } {
  let last: Promise<void> = Promise.resolve();
  let pending = 0;
  const run = (): Promise<void> => {
    pending++;
    const next = last.then(round).finally(() => pending--);
    last = next.catch(() => {});
    return next;
  };
  return { run, busy: () => pending > 0, idle: () => last };
}

interface RoundParts {
  clock: Clock;
  opts: AlertingOptions;
  state: StateSql;
  store: AlertStore;
  engine: AlertEngine;
  notifier: Notifier;
  delivery: NotificationDelivery;
  annotations: AnnotationWriter;
}

/**
 * One alerting round: evaluation, notification, housekeeping, the hourly pruning, the mail queue and the
 * annotations, each step on its own so that one failing never keeps the others from running.
 */
function alertRound({ clock, opts, state, store, engine, notifier, delivery, annotations }: RoundParts): { run: () => Promise<void>; flushing: () => Promise<unknown> } {
  let flushing: Promise<unknown> = Promise.resolve();
  let lastCadenceSave = clock.now();
  let lastFlush = 0;
  let lastPrune = 0;

  // Each step on its own: evaluation failing must not keep mail from going out, and the other way round.
  const step = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      opts.log?.error({ err }, `alert ${what} failed`);
    }
  };
  let cadenceLoaded = false;
  const run = async () => {
    const now = clock.now();
    const leading = opts.leader?.() ?? true;
    // What this collector learnt of agents' arrivals goes to the database, and what the others learnt
    // comes back: the leader's silent-agent watch counts arrivals on every collector.
    if (!cadenceLoaded || now - lastCadenceSave >= CADENCE_SAVE_MS) {
      lastCadenceSave = now;
      await step('housekeeping', async () => {
        await engine.forgetAgents(await store.revokedAgents(), now);
        await engine.saveCadence();
        await engine.loadCadence();
        cadenceLoaded = true;
      });
    }
    await step('evaluation', () => engine.tick(now, leading));
    if (!leading) {
      delivery.pump(() => clock.now()).catch((err) => opts.log?.error({ err }, 'notification queue failed'));
      return flushAnnotations(now);
    }
    // Silences that cannot be read skip the round: better late than mailing what someone silenced.
    let silences: SilenceRow[] | undefined;
    try {
      silences = await listSilences(state, now);
    } catch (err) {
      opts.log?.error({ err }, 'alert silences not read: notification round skipped');
    }
    if (silences) await step('notification', () => notifier.tick(now, silences));
    if (now - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = now;
      try {
        const pruned = await pruneAlertHistory(state, now - opts.settings.historyRetentionMs);
        if (Object.values(pruned).some((n) => n > 0)) opts.log?.info?.({ ...pruned }, 'old alert and mail history deleted (alerts.historyRetention)');
      } catch (err) {
        opts.log?.error({ err }, 'alert housekeeping failed');
      }
    }
    delivery.pump(() => clock.now()).catch((err) => opts.log?.error({ err }, 'notification queue failed'));
    flushAnnotations(now);
  };
  const flushAnnotations = (now: number) => {
    if (annotations.pending() > 0 && now - lastFlush >= (lastFlush === 0 ? 0 : ANNOTATION_FLUSH_MS)) {
      lastFlush = now;
      flushing = annotations.flush();
    }
  };

  return { run, flushing: () => flushing };
}

/** The alerting subsystem: engine on the ingest stream, notifier and mail queue on a timer. */
export function startAlerting(opts: AlertingOptions): Alerting {
  const clock = opts.clock ?? systemClock;
  if (!opts.state && !opts.db) throw new Error('startAlerting: a state database is needed');
  const state = opts.state ?? sqliteStateSql(opts.db!);
  const store = new AlertStore(state);
  const annotations = new AnnotationWriter(opts.writer);
  const rulesByName = new Map(opts.settings.rules.map((r) => [r.name, r]));
  const agencies = new Map(opts.agencies.map((a) => [a.id, a]));
  const engine = new AlertEngine({
    rules: opts.settings.rules,
    store,
    startedAt: clock.now(),
    log: opts.log,
    onChange: (row, change) => {
      const agency = agencies.get(row.agency);
      const view = { id: row.id, rule: rulesByName.get(row.rule), ruleName: row.rule, severity: row.severity, agency: row.agency, labels: row.labels, value: row.value, firedAt: row.firedAt ?? row.activeSince };
      annotations.record(row, change, summaryOf(view, opts.settings.locale, agency?.name), clock.now());
    },
  });
  const notifier = new Notifier({ store, settings: opts.settings, rules: opts.settings.rules, agencies: opts.agencies, log: opts.log });
  const delivery = new NotificationDelivery(state, buildChannels(opts.smtp, opts.settings.channels, (id) => attachmentsOf(state, id)), opts.log);
  const round = alertRound({ clock, opts, state, store, engine, notifier, delivery, annotations });
  const rounds = oneAtATime(round.run);

  let timer: NodeJS.Timeout | undefined;
  if (opts.timers !== false && opts.settings.enabled) {
    timer = setInterval(() => {
      if (!rounds.busy()) rounds.run().catch((err) => opts.log?.error({ err }, 'alert round failed'));
    }, opts.settings.evaluationIntervalMs);
    timer.unref();
  }

  return {
    store,
    state,
    engine,
    notifier,
    delivery,
    annotations,
    // The engine's own clock, not the caller's: tests move it by hand.
    observe: (agent, samples) => {
      if (opts.settings.enabled) engine.observe(agent, samples, clock.now());
    },
    tick: rounds.run,
    settle: async () => {
      await rounds.idle();
      await engine.flushed();
      await delivery.idle();
      await round.flushing();
    },
    close: async () => {
      clearInterval(timer);
      await rounds.idle();
      await delivery.idle();
      await engine.flushed();
      await annotations.flush();
      await engine.saveCadence().catch((err) => opts.log?.error({ err }, 'agent cadence not saved at close'));
      delivery.close();
    },
  };
}
