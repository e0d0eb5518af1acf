// What auth_events keeps between runs (stateFile): the position in every log and the detection state,
// plus the last run's samples until they are in the outbox. A run writes {committed, pending}; once its
// samples are in the outbox the pending part becomes the committed one. After a kill -9 in between, the
// next run sends the pending samples again with their first timestamps (InfluxDB keeps one point) and
// goes on from where they end: every event is counted once.
import { join } from 'node:path';
import type { FieldsOf, TagsOf } from '../../../protocol/index.ts';
import { emptySnapshot, type DetectorSnapshot } from './detect.ts';
import type { FileCursor } from './files.ts';
import { loadStateFile, saveStateFile } from '../common/state-file.ts';

export const DEFAULT_STATE_FILE =
  process.platform === 'win32' ? join(process.env.ProgramData ?? 'C:\\ProgramData', 'CanhGac', 'auth-events.json') : '/var/lib/canhgac/auth-events.json';

export interface Positions {
  files: Record<string, FileCursor>;
  journal?: { cursor: string };
  windows?: { record: number };
  detector: DetectorSnapshot;
}

export type PendingSample =
  | { measurement: 'auth_summary'; tags: TagsOf<'auth_summary'>; fields: FieldsOf<'auth_summary'>; time: number }
  | { measurement: 'auth_finding'; tags: TagsOf<'auth_finding'>; fields: FieldsOf<'auth_finding'>; time: number };

export interface AuthState extends Positions {
  version: 1;
  /** `id`: the run that wrote it; only that run may commit it. */
  pending?: { id: string; samples: PendingSample[]; next: Positions };
}

/** The pending part each state file had last written in this process. */
export const latestPending = new Map<string, string>();

export const emptyState = (): AuthState => ({ version: 1, files: {}, detector: emptySnapshot() });

/** The saved state; absent is empty, unreadable is empty too with `problem` saying why (every log starts again from its backfill). */
export function loadState(file: string): { state: AuthState; problem?: string } {
  return loadStateFile(file, emptyState, (p) => {
    const s = p as AuthState;
    return s?.version === 1 && typeof s.files === 'object' && s.detector && Array.isArray(s.detector.sources) ? s : undefined;
  });
}

/** Written whole, flushed and renamed (common/state-file.ts): a kill -9 leaves the old cursor or the new one. */
export const saveState = (file: string, state: AuthState): void => saveStateFile(file, state);

export const positionsOf = (s: AuthState): Positions => ({ files: s.files, journal: s.journal, windows: s.windows, detector: s.detector });

/**
 * One run at a time per state file in this process (the schedule and an on-demand run may overlap): the
 * next waits until the last one's samples are in the outbox, or 2 s after it ended without delivery (`once`,
 * a stopped agent). A late delivery then commits only if no later run has taken its pending part over.
 */
const locks = new Map<string, Promise<void>>();
export async function takeStateLock(file: string): Promise<{ release: () => void; releaseLater: () => void }> {
  const before = locks.get(file) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chain = before.then(() => mine);
  locks.set(file, chain);
  void chain.then(() => {
    if (locks.get(file) === chain) locks.delete(file);
  });
  await before;
  return {
    release,
    releaseLater: () => {
      setTimeout(release, 2000).unref();
    },
  };
}
