// The token cache's bounds: entries age out, the oldest makes room, an agent's entries go together.
import { describe, expect, it } from 'vitest';
import { AgentTokenCache } from './agent-token-cache.ts';

describe('agent token cache', () => {
  it('answers until the TTL, then asks again', () => {
    const c = new AgentTokenCache<{ id: string }>(1000, 10);
    c.put('h1', { id: 'a' }, 0);
    expect(c.get('h1', 999)).toEqual({ id: 'a' });
    expect(c.get('h1', 1000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('holds at most its bound, dropping the oldest entry', () => {
    const c = new AgentTokenCache<{ id: string }>(1000, 3);
    for (let i = 0; i < 5; i++) c.put(`h${i}`, { id: `a${i}` }, 0);
    expect(c.size).toBe(3);
    expect(c.get('h0', 1)).toBeUndefined();
    expect(c.get('h4', 1)).toEqual({ id: 'a4' });
  });

  it('forgets every token of one agent and no other', () => {
    const c = new AgentTokenCache<{ id: string }>(1000, 10);
    c.put('old', { id: 'a' }, 0);
    c.put('new', { id: 'a' }, 0);
    c.put('other', { id: 'b' }, 0);
    c.forget('a');
    expect([c.get('old', 1), c.get('new', 1), c.get('other', 1)]).toEqual([undefined, undefined, { id: 'b' }]);
  });
});
