// The outcome of the last self-update attempt (update/last.json next to the token), which the agent repeats
// in every poll's header so the collector never offers again a build this agent refused or rolled back.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, type UpdateOutcome } from '../../protocol/index.ts';

export interface LastAttempt {
  version: string;
  state: UpdateOutcome;
  message?: string;
  at: string;
}

export function writeOutcome(dir: string, last: LastAttempt): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'last.json'), JSON.stringify(last), { mode: 0o600 });
}

export function readOutcome(dir: string): LastAttempt | undefined {
  try {
    const doc = JSON.parse(readFileSync(join(dir, 'last.json'), 'utf8').slice(0, 10_000)) as LastAttempt;
    return compareVersions(doc.version, doc.version) === 0 && ['installed', 'refused', 'rolled-back'].includes(doc.state) ? doc : undefined;
  } catch {
    return undefined;
  }
}
