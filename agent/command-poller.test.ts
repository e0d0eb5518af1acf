// The command poller's handlers: a command runs the named check and reports what it measured.
import { describe, expect, it } from 'vitest';
import type { WireSample } from '../protocol/index.ts';
import { missing } from '../test/support/require.ts';
import { HANDLERS } from './command-poller.ts';
import { parseAgentConfig } from './config.ts';
import { createLogger } from './log.ts';

// Network safety: the only probe is an ICMP burst to 127.0.0.1.

const config = parseAgentConfig('agent.yaml', {
  checks: [
    { type: 'videoconf', interval: '60s', timeout: '1s', count: 3, endpoints: [{ name: 'ubnd-tinh', address: '127.0.0.1' }] },
    { type: 'tcp', targets: ['127.0.0.1:9'], enabled: false },
  ],
});

function ctx() {
  const delivered: WireSample[] = [];
  return { delivered, ctx: { checks: config.checks, log: createLogger({ write: () => {} }), deliver: (s: WireSample[]) => delivered.push(...s), signal: new AbortController().signal } };
}

describe('agent commands', () => {
  it('run-check answers unsupported for a check this agent does not run (or has disabled)', async () => {
    const { ctx: c, delivered } = ctx();
    expect(await HANDLERS['run-check']({ type: 'tcp' }, c)).toEqual({ status: 'unsupported', message: 'this agent has no "tcp" check', samples: [] });
    expect(await HANDLERS['run-check']({}, c)).toMatchObject({ status: 'unsupported' });
    expect(delivered).toEqual([]);
  });

  it.skipIf(missing({ commands: ['ping'] }))('run-check runs the check now: the samples are in the answer and go the usual way too', async () => {
    const { ctx: c, delivered } = ctx();
    const before = Date.now();
    const r = await HANDLERS['run-check']({ type: 'videoconf', deadlineMs: 5000 }, c);
    expect(r.status).toBe('done');
    expect(r.samples).toHaveLength(1);
    expect(r.samples[0]).toMatchObject({ measurement: 'videoconf', tags: { endpoint: 'ubnd-tinh' }, fields: { sent: 3, received: 3, ready: 1 } });
    expect(Date.parse((r.samples[0] as WireSample).time)).toBeGreaterThanOrEqual(before);
    expect(delivered).toEqual(r.samples);
  });
});
