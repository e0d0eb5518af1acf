// A check's memory between runs (known devices, a site's baseline, log cursors) as one JSON file:
// read forgivingly (absent or damaged is a fresh start, with the reason), written atomically and
// durably, readable by the agent's user only.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The saved state, or `empty()` when the file is absent (no problem) or unreadable or not in the
 * expected shape (`problem` says why, so the check can report it instead of silently forgetting).
 * `accept` returns the state when `parsed` has the expected shape, else undefined.
 */
export function loadStateFile<T>(file: string, empty: () => T, accept: (parsed: unknown) => T | undefined): { state: T; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { state: empty(), problem: code === 'ENOENT' ? undefined : `cannot read ${file} (${code})` };
  }
  try {
    const state = accept(JSON.parse(text));
    if (state === undefined) throw new Error('unknown format');
    return { state };
  } catch (err) {
    return { state: empty(), problem: `ignoring ${file}: ${(err as Error).message}` };
  }
}

/**
 * Written whole to a temporary file (mode 0600), flushed, renamed over the old one and the directory
 * flushed: a crash or a power cut leaves the old file or the new one, never half of either.
 */
export function saveStateFile(file: string, state: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dir = openSync(dirname(file), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    // A directory cannot be opened for fsync everywhere (Windows); the rename itself is still atomic.
  }
}
