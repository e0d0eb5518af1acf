// The system ping's command line per platform: what the bursts of the ping and videoconf checks and
// the discovery sweep actually run.
import { describe, expect, it } from 'vitest';
import { pingCommand } from './ping.ts';

describe('ping command line', () => {
  it('Linux: iputils options, whole seconds for -W, -6 for IPv6, target last', () => {
    expect(pingCommand('linux', '192.0.2.10', 4, 5, 200, 1500).args).toEqual(['-n', '-c', '5', '-i', '0.2', '-W', '2', '192.0.2.10']);
    expect(pingCommand('linux', '2001:db8::1', 6, 3, 250, 500).args).toEqual(['-n', '-c', '3', '-i', '0.25', '-W', '1', '-6', '2001:db8::1']);
  });
  it('Windows: -n count, -w in ms', () => {
    expect(pingCommand('win32', '192.0.2.10', 4, 5, 200, 2000).args).toEqual(['-n', '5', '-w', '2000', '192.0.2.10']);
    expect(pingCommand('win32', '2001:db8::1', 6, 2, 200, 2000).args).toEqual(['-n', '2', '-w', '2000', '-6', '2001:db8::1']);
  });
});
