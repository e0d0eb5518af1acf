// The InfluxDB data source every panel names and the query target type the Grafana SDK lacks for it.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';

/** The data source every panel names; deploy/grafana/provisioning/datasources/influxdb.yaml creates it with this uid. */
export const DATASOURCE: DataSourceRef = { type: 'influxdb', uid: 'canhgac-influxdb' };

/** The SDK has no InfluxDB query type: this is the shape Grafana's InfluxDB data source stores for a raw InfluxQL query. */
export interface InfluxDataquery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
}

/** A built query (InfluxQuery) or InfluxQL text. */
export type QueryText = { toString(): string } | string;

export class InfluxTarget implements cog.Builder<InfluxDataquery> {
  private readonly target: Omit<InfluxDataquery, '_implementsDataqueryVariant'>;

  constructor(query: QueryText, refId = 'A') {
    this.target = { refId, datasource: DATASOURCE, query: String(query), rawQuery: true, resultFormat: 'time_series' };
  }

  /** Rows with tag columns, for tables. */
  table(): this {
    this.target.resultFormat = 'table';
    return this;
  }

  /** Series name, e.g. `$tag_agency` (Grafana's InfluxDB alias patterns). */
  alias(alias: string): this {
    this.target.alias = alias;
    return this;
  }

  build(): InfluxDataquery {
    return { ...this.target, _implementsDataqueryVariant() {} };
  }
}

export const influx = (query: QueryText, refId?: string) => new InfluxTarget(query, refId);
