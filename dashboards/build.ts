// Builds every dashboard in one language into the JSON that Grafana provisioning loads, for the CLI
// and for the tests that compare it with the committed files.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { translator, type Locale } from './i18n.ts';
import { agencyDetail } from './boards/agency.ts';
import { certificates } from './boards/certificates.ts';
import { compliance } from './boards/compliance.ts';
import { network } from './boards/network.ts';
import { overview } from './boards/overview.ts';
import { pipeline } from './boards/pipeline.ts';
import { videoconf } from './boards/videoconf.ts';

export const DEFAULT_OUT_DIR = 'deploy/grafana/dashboards';

export interface BuiltDashboard {
  file: string;
  dashboard: Dashboard;
}

/** Every dashboard, in one locale; the file name is the uid so provisioning keeps links stable. */
export function buildDashboards(locale: Locale = 'vi'): BuiltDashboard[] {
  const tr = translator(locale);
  return [overview, agencyDetail, videoconf, certificates, compliance, pipeline, network].map((make) => {
    const dashboard = make(tr);
    return { file: `${dashboard.uid}.json`, dashboard };
  });
}

/** The JSON text written to disk (stable key order from the builders, trailing newline). */
export function serialize(dashboard: Dashboard): string {
  return JSON.stringify(dashboard, null, 2) + '\n';
}
