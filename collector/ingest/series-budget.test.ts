import { expect, it } from 'vitest';
import { seriesHash } from './series-budget.ts';

it('a series hash ignores tag order and the tags the collector sets, and tells series apart', () => {
  const a = seriesHash({ target: '127.0.0.1', port: '443', name: 'portal' });
  expect(seriesHash({ name: 'portal', port: '443', target: '127.0.0.1' })).toBe(a);
  expect(seriesHash({ name: 'portal', port: '443', target: '127.0.0.1', agency: 'so-y-te', agent: 'pc-1' })).toBe(a);
  // The boundary between key and value, and between pairs, is part of what is hashed.
  expect(seriesHash({ target: '127.0.0.1', port: '4', name: '43portal' })).not.toBe(a);
  expect(seriesHash({ targe: 't127.0.0.1', port: '443', name: 'portal' })).not.toBe(a);
  // A hash run in between (the state is the module's) leaves the next one unchanged.
  seriesHash({ x: 'y'.repeat(1000) });
  expect(seriesHash({ port: '443', target: '127.0.0.1', name: 'portal' })).toBe(a);
  const seen = new Set<number>();
  for (let i = 0; i < 5000; i++) seen.add(seriesHash({ target: `127.0.${i >> 8}.${i & 255}`, port: '443' }));
  expect(seen.size).toBe(5000);
  expect(Number.isSafeInteger(a)).toBe(true);
});
