// The disk queue's positions: a batch acknowledged past a segment's end is not read again, and a
// second reader's own position (readFrom, clamp, since) as the collector's spool uses it per node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { comparePositions, SegmentLog } from './segment-log.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function open(): SegmentLog {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-seglog-'));
  dirs.push(dir);
  // 16 KiB segments: 40 records of 1 kB fill three.
  return new SegmentLog({ dir, maxBytes: 1 << 30, segmentBytes: 16 * 1024 });
}
const fill = (log: SegmentLog, from: number, to: number) => {
  for (let i = from; i < to; i++) log.append([{ data: Buffer.from(`${i}:${'x'.repeat(1000)}`) }]);
};
const ids = (records: { data: Buffer }[]) => records.map((r) => Number(r.data.toString().split(':')[0]));

describe('SegmentLog positions', () => {
  it('a batch that crosses into the next segment, once acknowledged, is not read again', () => {
    const log = open();
    try {
      fill(log, 0, 40);
      const first = log.read(20, 1 << 20);
      expect(ids(first)).toEqual([...Array(20).keys()]);
      expect(first.at(-1)!.end.seq, 'the batch ends in the second segment').toBeGreaterThan(first[0].end.seq);
      log.ackTo(first.at(-1)!.end);
      expect(ids(log.read(5, 1 << 20))).toEqual([20, 21, 22, 23, 24]);
      expect(log.units).toBe(20);
    } finally {
      log.close();
    }
  });

  it('another reader reads from its own position, clamped to the head, and its lag is what it has not read', () => {
    const log = open();
    try {
      fill(log, 0, 40);
      const start = log.clamp({ seq: 0, offset: 0, units: 0 });
      expect(start).toEqual(log.headPosition);
      const batch = log.readFrom(start, 30, 1 << 20);
      expect(ids(batch)).toEqual([...Array(30).keys()]);
      const pos = batch.at(-1)!.end;
      expect(log.since(pos).units).toBe(10);
      expect(log.since(start).units).toBe(40);
      // The head (the slowest reader) has not moved: nothing is deleted under the other reader.
      expect(log.units).toBe(40);
      log.ackTo(pos);
      expect(comparePositions(log.headPosition, pos)).toBe(0);
      expect(log.clamp(start), 'a position before the head becomes the head').toEqual(pos);
      expect(log.afterOldestSegment()).toEqual(expect.objectContaining({ offset: 0 }));
      expect(ids(log.readFrom(log.clamp(pos), 100, 1 << 20))).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    } finally {
      log.close();
    }
  });
});
