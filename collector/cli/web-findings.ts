// `web-findings`: the web integrity inventory (the same lists as GET /api/v1/web-findings) for a
// terminal or a script: each watched site's last crawl, then the findings with their evidence.
import type { CollectorConfig } from '../config.ts';
import { getAgency } from '../state/agencies.ts';
import { listWebFindings, listWebSites } from '../state/web-findings.ts';
import { loadConfig, parseOptions, printTable, stdout, UsageError, withState, type CommandGroup, type Out } from './common.ts';

export const WEB_FINDINGS_USAGE = `  canhgac-collector web-findings [--agency ID] [--present] [--json] [--config FILE]
                                                            watched web sites and their findings (gambling and other spam,
                                                            cloaking, off-site redirects, new script domains, defacement)
`;

export interface WebFindingsArgs {
  agency?: string;
  present?: boolean;
  json?: boolean;
}

const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}Z`;

/** The listing itself, apart from option parsing, so that a test can call it with a config in hand. */
export function listWebFindingsCli(config: CollectorConfig, args: WebFindingsArgs, out: Out = stdout): Promise<number> {
  return withState(config, async (state) => {
    if (args.agency && !(await getAgency(state, args.agency))) throw new UsageError(`--agency: unknown agency "${args.agency}"`);
    const sites = await listWebSites(state, args.agency);
    const findings = await listWebFindings(state, { agency: args.agency, presentOnly: args.present });
    if (args.json) {
      out(JSON.stringify({ sites, findings }) + '\n');
      return 0;
    }
    if (sites.length === 0) {
      out('no web site reported yet (the agents need a web_integrity check)\n');
      return 0;
    }
    printTable(
      [
        ['AGENCY', 'SITE', 'NAME', 'LAST CRAWL', 'UP', 'PAGES', 'FLAGGED', 'SIMILARITY'],
        ...sites.map((s) => [s.agency, s.site, s.name ?? '', when(s.lastRun), s.up ? 'yes' : `NO (${s.result})`, String(s.pagesCrawled), String(s.pagesFlagged), s.homeSimilarity === undefined ? '' : s.homeSimilarity.toFixed(2)]),
      ],
      out,
    );
    out('\n');
    if (findings.length === 0) {
      out(args.present ? 'no finding present\n' : 'no finding\n');
      return 0;
    }
    printTable(
      [
        ['FIRST SEEN', 'LAST SEEN', 'PRESENT', 'AGENCY', 'KIND', 'URL', 'EVIDENCE'],
        ...findings.map((f) => [when(f.firstSeen), when(f.lastSeen), f.present ? 'yes' : 'no', f.agency, f.kind, short(f.url, 70), short(f.evidence, 100)]),
      ],
      out,
    );
    const present = findings.filter((f) => f.present).length;
    out(`\n${findings.length} finding(s), ${present} present in the last crawl\n`);
    return 0;
  });
}

export function webFindingsCommand(_command: string, argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { agency: { type: 'string' }, present: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } });
  return listWebFindingsCli(loadConfig(values), values);
}

export const webFindingsGroup: CommandGroup = { commands: ['web-findings'], usage: WEB_FINDINGS_USAGE, run: webFindingsCommand };
