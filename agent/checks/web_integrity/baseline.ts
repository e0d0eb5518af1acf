// What the check remembers per site between runs (stateFile): the start page's words and shape, the
// script and iframe domains and the sitemap's URLs of the last clean run, and which kinds of finding
// the last run had (so a kind that disappears is reported once with count 0). Written atomically.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadStateFile, saveStateFile } from '../common/state-file.ts';

export const DEFAULT_STATE_FILE =
  process.platform === 'win32' ? join(process.env.ProgramData ?? 'C:\\ProgramData', 'CanhGac', 'web-integrity.json') : '/var/lib/canhgac/web-integrity.json';

/** Bounds of what one site may leave in the file. */
const MAX_WORDS = 3000;
const MAX_STRUCTURE = 500;
const MAX_DOMAINS = 500;

export interface SiteBaseline {
  createdAt: string;
  updatedAt: string;
  homeWords: [string, number][];
  homeStructure: [string, number][];
  scriptDomains: string[];
  /** Short hashes of the sitemap's URLs. */
  sitemap: string[];
}

export interface SiteMemory {
  baseline?: SiteBaseline;
  /** Kinds of finding of the last run that reached the site. */
  flagged: string[];
}

export interface WebState {
  version: 1;
  sites: Record<string, SiteMemory>;
}

export function emptyState(): WebState {
  return { version: 1, sites: {} };
}

/** The saved state; an absent file is empty, an unreadable one too (with `problem` saying why). */
export function loadState(file: string): { state: WebState; problem?: string } {
  return loadStateFile(file, emptyState, (p) => {
    const parsed = p as WebState;
    if (parsed?.version !== 1 || typeof parsed.sites !== 'object' || parsed.sites === null) return undefined;
    // A null-prototype map: a site named like an Object member is just a site.
    return { version: 1, sites: Object.assign(Object.create(null), parsed.sites) };
  });
}

export const saveState = (file: string, state: WebState): void => saveStateFile(file, state);

/** A sitemap URL as kept in the state: 12 bytes of its SHA-256 are enough to tell 10,000 URLs apart. */
export function urlHash(href: string): string {
  return createHash('sha256').update(href).digest('base64url').slice(0, 16);
}

const top = (m: Map<string, number>, n: number): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);

/** A baseline from a clean run; the script domains seen before are kept (a page not reached this run still has them). */
export function makeBaseline(prev: SiteBaseline | undefined, run: { homeWords: Map<string, number>; homeStructure: Map<string, number>; scriptDomains: Set<string>; sitemap: Set<string> }, now: Date): SiteBaseline {
  const domains = new Set([...(prev?.scriptDomains ?? []), ...run.scriptDomains]);
  return {
    createdAt: prev?.createdAt ?? now.toISOString(),
    updatedAt: now.toISOString(),
    homeWords: top(run.homeWords, MAX_WORDS),
    homeStructure: top(run.homeStructure, MAX_STRUCTURE),
    scriptDomains: [...domains].slice(0, MAX_DOMAINS),
    sitemap: [...run.sitemap].map(urlHash),
  };
}
