/**
 * A small typed InfluxQL builder. Measurement, field and tag names are type parameters drawn
 * from the protocol catalogue, so a renamed field fails to compile instead of leaving a panel
 * empty. It emits the text Grafana's InfluxDB data source runs in raw mode, with Grafana's macros
 * (`$timeFilter`, `$__interval`) and dashboard variables left in place.
 */
import { catalogue, COLLECTOR_TAGS, type Catalogue, type MeasurementName } from '../protocol/index.ts';

/** Retention policies made by the collector (collector/influx/setup.ts; a test keeps them equal). */
export const RAW_RP = 'raw';
export const ROLLUP_RP = 'rollup_1h';
/** The dashboard variable that picks one of them (see variables.ts). */
export const RP_VARIABLE = 'rp';
export type RetentionPolicy = typeof RAW_RP | typeof ROLLUP_RP | `$${typeof RP_VARIABLE}`;

type Fields<M extends MeasurementName> = Catalogue[M]['fields'];
export type FieldName<M extends MeasurementName> = keyof Fields<M> & string;
/** Fields that survive the hourly roll-up and can be aggregated (strings cannot). */
export type NumericField<M extends MeasurementName> = {
  [K in FieldName<M>]: Fields<M>[K] extends { type: 'string' } ? never : K;
}[FieldName<M>];
export type StringField<M extends MeasurementName> = Exclude<FieldName<M>, NumericField<M>>;
export type TagName<M extends MeasurementName> = (keyof Catalogue[M]['tags'] & string) | (typeof COLLECTOR_TAGS)[number];

export type Aggregate = 'mean' | 'max' | 'min' | 'last' | 'first' | 'sum' | 'count' | 'median';
export type Fill = 'null' | 'none' | 'previous' | '0';
type Compare = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A dashboard variable reference (`$agency`); matched as a regex so "All" and multi-values work. */
export interface Variable {
  readonly variable: string;
}
export const variable = (name: string): Variable => ({ variable: name });

const ident = (name: string) => `"${name.replace(/"/g, '\\"')}"`;
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export class InfluxQuery<M extends MeasurementName> {
  private readonly columns: string[] = [];
  private readonly conditions: string[] = [];
  private readonly tagGroups: string[] = [];
  private timeBuckets = false;
  private fillMode?: Fill;
  private policy: RetentionPolicy = `$${RP_VARIABLE}`;
  private window?: string;
  private rowLimit?: number;
  private seriesLimit?: number;
  private descending = false;
  private readsStrings = false;

  constructor(readonly measurement: M) {}

  /** An aggregate of a numeric field, named after the field unless `as` says otherwise. */
  agg(aggregate: Aggregate, field: NumericField<M>, as: string = field): this {
    this.columns.push(`${aggregate}(${ident(field)}) AS ${ident(as)}`);
    return this;
  }

  /** `last()` of every numeric field in catalogue order: tables built from it grow with the catalogue. */
  lastOfEveryField(except: readonly NumericField<M>[] = []): this {
    for (const field of numericFields(this.measurement)) if (!except.includes(field)) this.agg('last', field);
    return this;
  }

  /** A selector (`last`, `first`) of any field, strings included. */
  pick(selector: 'last' | 'first', field: FieldName<M>, as: string = field): this {
    if (this.isString(field)) this.readsStrings = true;
    this.columns.push(`${selector}(${ident(field)}) AS ${ident(as)}`);
    return this;
  }

  /** A field or tag as stored, for raw (non-aggregated) listings. */
  value(name: FieldName<M> | TagName<M>): this {
    if (this.isString(name)) this.readsStrings = true;
    this.columns.push(ident(name));
    return this;
  }

  /** `tag = 'value'`, or `tag =~ /^$var$/` for a dashboard variable. */
  where(tag: TagName<M>, value: string | Variable): this {
    this.conditions.push(typeof value === 'string' ? `${ident(tag)} = ${literal(value)}` : `${ident(tag)} =~ /^$${value.variable}$/`);
    return this;
  }

  /** `tag != ''`: series that carry the tag at all (a tag that is absent reads as ''). */
  whereSet(tag: TagName<M>): this {
    this.conditions.push(`${ident(tag)} != ''`);
    return this;
  }

  whereField(field: NumericField<M>, op: Compare, value: number): this {
    this.conditions.push(`${ident(field)} ${op} ${value}`);
    return this;
  }

  /** Buckets of Grafana's `$__interval`. */
  byTime(fill: Fill = 'null'): this {
    this.timeBuckets = true;
    this.fillMode = fill;
    return this;
  }

  by(...tags: TagName<M>[]): this {
    this.tagGroups.push(...tags.map(ident));
    return this;
  }

  /** Read a fixed retention policy instead of the dashboard's `$rp` choice. */
  rp(policy: typeof RAW_RP | typeof ROLLUP_RP): this {
    this.policy = policy;
    return this;
  }

  /** A fixed window ending now (e.g. `30d`) instead of the dashboard's time range. */
  since(duration: string): this {
    if (!/^\d+[smhdw]$/.test(duration)) throw new Error(`since(${duration}): expected an InfluxQL duration such as 30d`);
    this.window = duration;
    return this;
  }

  newestFirst(): this {
    this.descending = true;
    return this;
  }

  limit(rows: number): this {
    this.rowLimit = rows;
    return this;
  }

  slimit(series: number): this {
    this.seriesLimit = series;
    return this;
  }

  get retentionPolicy(): RetentionPolicy {
    return this.policy;
  }

  toString(): string {
    if (this.columns.length === 0) throw new Error(`query on ${this.measurement} selects nothing`);
    // String fields are not rolled up (collector/influx/setup.ts), so only raw has them.
    if (this.readsStrings && this.policy !== RAW_RP) {
      throw new Error(`query on ${this.measurement} reads a string field: call .rp('raw'), roll-ups keep numbers only`);
    }
    const time = this.window ? `time > now() - ${this.window}` : '$timeFilter';
    const where = [...this.conditions, time].join(' AND ');
    const groups = [...(this.timeBuckets ? ['time($__interval)'] : []), ...this.tagGroups];
    let q = `SELECT ${this.columns.join(', ')} FROM ${ident(this.policy)}.${ident(this.measurement)} WHERE ${where}`;
    if (groups.length > 0) q += ` GROUP BY ${groups.join(', ')}`;
    if (this.timeBuckets && this.fillMode) q += ` fill(${this.fillMode})`;
    if (this.descending) q += ' ORDER BY time DESC';
    if (this.rowLimit !== undefined) q += ` LIMIT ${this.rowLimit}`;
    if (this.seriesLimit !== undefined) q += ` SLIMIT ${this.seriesLimit}`;
    return q;
  }

  private isString(name: string): boolean {
    const spec = (catalogue[this.measurement].fields as Record<string, { type: string }>)[name];
    return spec?.type === 'string';
  }
}

export const from = <M extends MeasurementName>(measurement: M): InfluxQuery<M> => new InfluxQuery(measurement);

/**
 * How many distinct values of a tag have data: InfluxQL cannot count tag values, so an inner
 * query keeps one `last()` per value and the outer one counts them.
 */
export function countTagValues<M extends MeasurementName>(
  measurement: M,
  tag: TagName<M>,
  field: NumericField<M>,
  as: string,
  opts: { per?: TagName<M>; narrow?: (q: InfluxQuery<M>) => InfluxQuery<M> } = {},
): string {
  const inner = from(measurement).agg('last', field, 'v').by(tag);
  if (opts.per) inner.by(opts.per);
  const q = `SELECT count("v") AS ${ident(as)} FROM (${(opts.narrow ? opts.narrow(inner) : inner).toString()})`;
  return opts.per ? `${q} GROUP BY ${ident(opts.per)}` : q;
}

/**
 * Series whose latest value passes a test (failing checks, firing alerts): InfluxQL filters
 * fields only in an outer query over the `last()` of the inner one.
 */
export function latestWhere<M extends MeasurementName>(inner: InfluxQuery<M>, column: string, op: Compare, value: number): string {
  return `SELECT * FROM (${inner.toString()}) WHERE ${ident(column)} ${op} ${value}`;
}

/** Every numeric field of a measurement, in catalogue order: tables built from it show fields added later too. */
export function numericFields<M extends MeasurementName>(measurement: M): NumericField<M>[] {
  return Object.entries(catalogue[measurement].fields as Record<string, { type: string }>)
    .filter(([, f]) => f.type !== 'string')
    .map(([name]) => name as NumericField<M>);
}
