// The contract between the agent and its checks: a check's definition, its config keys, the
// context and the typed Recorder it writes samples through.
import type { Static, TObject } from 'typebox';
import type { ConfigIssue, FieldsOf, MeasurementName, TagsOf } from '../../protocol/index.ts';
import type { Logger } from '../log.ts';

/** Keys every check entry has, whatever its type. */
export interface CommonCheckConfig {
  type: string;
  /** Display name; becomes the `name` tag where the measurement has one. */
  name?: string;
  /** Grouping for dashboards; becomes the `group` tag where the measurement has one. */
  group?: string;
  interval: string;
  timeout: string;
  intervalMs: number;
  timeoutMs: number;
}

export interface Recorder {
  /** Record one typed sample; `time` defaults to now (the moment of measurement, never re-stamped). */
  record<M extends MeasurementName>(measurement: M, tags: TagsOf<M>, fields: FieldsOf<M>, time?: Date): void;
}

export interface CheckContext {
  recorder: Recorder;
  /** Aborted on shutdown or when the check's timeout budget for the whole run is spent. */
  signal: AbortSignal;
  log: Logger;
  /** Progress of long work, shown on stderr when `once` runs in a terminal. */
  progress?: (message: string) => void;
  /**
   * Work to do once this run's samples are durably in the outbox (a log cursor moved past what they
   * count). `once` sends nothing and calls none of them.
   */
  onDelivered?: (fn: () => void) => void;
}

export type CheckConfig<S extends TObject> = Static<S> & CommonCheckConfig;

export interface CheckDefinition<S extends TObject = TObject> {
  type: string;
  summary: string;
  /** The check's own keys (besides the common ones), with defaults. */
  schema: S;
  defaults: { interval: string; timeout: string };
  measurements: readonly MeasurementName[];
  /** Semantic checks that a schema cannot express; never touches the network. */
  validate?(config: CheckConfig<S>, path: string): ConfigIssue[];
  run(config: CheckConfig<S>, ctx: CheckContext): Promise<void>;
}

/** Keeps the config type of `run` tied to the schema. */
export function defineCheck<S extends TObject>(def: CheckDefinition<S>): CheckDefinition<S> {
  return def;
}
