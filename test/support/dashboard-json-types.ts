/**
 * A compile-time check (`tsc --noEmit`, run by `npm test` and CI) that the committed dashboard JSON
 * still fits the Grafana foundation SDK's own `Dashboard` type: required keys present and every known
 * key of the right shape. JSON imports widen string literals, so the SDK's string enums are compared
 * as strings (`Loose`), and the SDK's opaque data query is our InfluxDB query as written to JSON.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { InfluxDataquery } from '../../dashboards/datasource.ts';
import agency from '../../deploy/grafana/dashboards/canhgac-agency.json' with { type: 'json' };
import certificates from '../../deploy/grafana/dashboards/canhgac-certificates.json' with { type: 'json' };
import compliance from '../../deploy/grafana/dashboards/canhgac-compliance.json' with { type: 'json' };
import overview from '../../deploy/grafana/dashboards/canhgac-overview.json' with { type: 'json' };
import pipeline from '../../deploy/grafana/dashboards/canhgac-pipeline.json' with { type: 'json' };
import videoconf from '../../deploy/grafana/dashboards/canhgac-videoconf.json' with { type: 'json' };

type Loose<T> = T extends cog.Dataquery
  ? Loose<Omit<InfluxDataquery, '_implementsDataqueryVariant'>>
  : T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends (infer U)[]
        ? Loose<U>[]
        : T extends (...args: never[]) => unknown
          ? T
          : T extends object
            ? { [K in keyof T]: Loose<T[K]> }
            : T;

export const committedDashboards: Loose<Dashboard>[] = [overview, agency, videoconf, certificates, compliance, pipeline];
