// The agent writes a video-conference endpoint's `reason` in English; the console shows it in Vietnamese.
// Cross-cutting: the reasons come from the agent's own judge(), so a new wording there fails here.
import { describe, expect, it } from 'vitest';
import { judge } from '../agent/checks/videoconf/index.ts';
import { videoconfReason } from '../collector/console/videoconf-reason.ts';

const thresholds = { maxLossPercent: 1, maxJitterMs: 30, maxRttMs: 300, minMos: 3.6 };

describe('video-conference reason in the console', () => {
  it('says every part the agent writes in Vietnamese', () => {
    const failures = ['no ICMP reply', 'SIP udp/5060 no SIP answer', 'SIP tcp/5060 refused', 'H.323 refused', 'HTTPS answered 503', 'HTTPS timeout', 'SNMP timeout', 'ping error: spawn ping ENOENT'];
    const { ready, reason } = judge({ loss_percent: 40, sent: 20, received: 12, jitter_ms: 35, rtt_ms: 400, mos: 2.1 }, failures, thresholds);
    expect(ready).toBe(0);
    expect(videoconfReason('vi', reason!).split('; ')).toEqual([
      'không có phản hồi ICMP',
      'SIP udp/5060: không có trả lời SIP',
      'SIP tcp/5060: bị từ chối',
      'H.323: bị từ chối',
      'HTTPS trả mã 503',
      'HTTPS: quá thời gian chờ',
      'SNMP: quá thời gian chờ',
      'ping: lỗi: spawn ping ENOENT',
      'mất gói 40% ≥ 1%',
      'jitter 35 ms ≥ 30 ms',
      'độ trễ khứ hồi 400 ms ≥ 300 ms',
      'điểm MOS 2.1 < 3.6',
    ]);
  });

  it('leaves English as written, and a part it does not know unchanged', () => {
    const { reason } = judge({ loss_percent: 5, sent: 20, received: 19 }, ['H.323 timeout'], thresholds);
    expect(videoconfReason('en', reason!)).toBe(reason);
    expect(videoconfReason('vi', 'H.323 timeout; something new')).toBe('H.323: quá thời gian chờ; something new');
  });
});
