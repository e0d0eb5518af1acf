// The ping output parsers against recorded outputs of Linux iputils and Windows PING.EXE (English and
// Vietnamese): the numbers must survive every language and code page.
import { describe, expect, it } from 'vitest';
import { classifyBurst, parseReplies, summarize } from './ping-parse.ts';

// The recorded outputs use documentation addresses and are only parsed, never pinged.

// ---- recorded outputs -------------------------------------------------------------------------

/** iputils 20221126, `ping -n -c 5 -i 0.2 -W 1 127.0.0.1`, recorded on Debian 12. */
const LINUX_ALL = `PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.069 ms
64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.056 ms
64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.081 ms
64 bytes from 127.0.0.1: icmp_seq=4 ttl=64 time=0.050 ms
64 bytes from 127.0.0.1: icmp_seq=5 ttl=64 time=0.062 ms

--- 127.0.0.1 ping statistics ---
5 packets transmitted, 5 received, 0% packet loss, time 820ms
rtt min/avg/max/mdev = 0.050/0.063/0.081/0.010 ms
`;

/** Partial loss with a duplicate (the duplicate must not count as a second reply). */
const LINUX_PARTIAL = `PING 192.0.2.10 (192.0.2.10) 56(84) bytes of data.
64 bytes from 192.0.2.10: icmp_seq=1 ttl=63 time=1.20 ms
64 bytes from 192.0.2.10: icmp_seq=2 ttl=63 time=3.40 ms
64 bytes from 192.0.2.10: icmp_seq=4 ttl=63 time=2.10 ms
64 bytes from 192.0.2.10: icmp_seq=4 ttl=63 time=2.30 ms (DUP!)

--- 192.0.2.10 ping statistics ---
5 packets transmitted, 3 received, +1 duplicates, 40% packet loss, time 804ms
rtt min/avg/max/mdev = 1.200/2.233/3.400/0.899 ms
`;

/** 100 % loss: the router answers "unreachable", which is not an echo reply. Exit code 1. */
const LINUX_NONE = `PING 192.0.2.99 (192.0.2.99) 56(84) bytes of data.
From 192.0.2.1 icmp_seq=1 Destination Host Unreachable
From 192.0.2.1 icmp_seq=2 Destination Host Unreachable

--- 192.0.2.99 ping statistics ---
5 packets transmitted, 0 received, +2 errors, 100% packet loss, time 820ms
`;

/** IPv6 with iputils: the address itself is full of colons. */
const LINUX_V6 = `PING ::1(::1) 56 data bytes
64 bytes from ::1: icmp_seq=1 ttl=64 time=0.064 ms
64 bytes from ::1: icmp_seq=2 ttl=64 time=0.058 ms

--- ::1 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 203ms
rtt min/avg/max/mdev = 0.058/0.061/0.064/0.003 ms
`;

/** Windows 10, English, \`ping -n 4 -w 2000 192.0.2.10\`. */
const WINDOWS_EN = `\r
Pinging 192.0.2.10 with 32 bytes of data:\r
Reply from 192.0.2.10: bytes=32 time=3ms TTL=64\r
Reply from 192.0.2.10: bytes=32 time<1ms TTL=64\r
Request timed out.\r
Reply from 192.0.2.10: bytes=32 time=12ms TTL=64\r
\r
Ping statistics for 192.0.2.10:\r
    Packets: Sent = 4, Received = 3, Lost = 1 (25% loss),\r
Approximate round trip times in milli-seconds:\r
    Minimum = 0ms, Maximum = 12ms, Average = 5ms\r
`;

/** Windows 10, Vietnamese display language: every word differs, the numbers do not. */
const WINDOWS_VI = `\r
Đang Ping 10.0.0.1 với 32 byte dữ liệu:\r
Phản hồi từ 10.0.0.1: byte=32 thời gian=3ms TTL=64\r
Phản hồi từ 10.0.0.1: byte=32 thời gian=2ms TTL=64\r
Phản hồi từ 10.0.0.1: byte=32 thời gian=5ms TTL=64\r
Phản hồi từ 10.0.0.1: byte=32 thời gian=2ms TTL=64\r
\r
Thống kê Ping cho 10.0.0.1:\r
    Gói: Đã gửi = 4, Đã nhận = 4, Bị mất = 0 (mất 0%),\r
Thời gian khứ hồi xấp xỉ tính bằng mili giây:\r
    Tối thiểu = 2ms, Tối đa = 5ms, Trung bình = 3ms\r
`;

/** Windows, nothing answered; "Destination host unreachable" is counted as received by Windows itself. */
const WINDOWS_TIMEOUT = `\r
Pinging 192.0.2.99 with 32 bytes of data:\r
Request timed out.\r
Request timed out.\r
Reply from 192.0.2.1: Destination host unreachable.\r
Request timed out.\r
\r
Ping statistics for 192.0.2.99:\r
    Packets: Sent = 4, Received = 1, Lost = 3 (75% loss),\r
`;

const WINDOWS_VI_TIMEOUT = `\r
Đang Ping 192.0.2.99 với 32 byte dữ liệu:\r
Yêu cầu đã hết thời gian chờ.\r
Yêu cầu đã hết thời gian chờ.\r
\r
Thống kê Ping cho 192.0.2.99:\r
    Gói: Đã gửi = 2, Đã nhận = 0, Bị mất = 2 (mất 100%),\r
`;

const WINDOWS_V6 = `\r
Pinging 2001:db8::1 with 32 bytes of data:\r
Reply from 2001:db8::1: time=4ms\r
Reply from 2001:db8::1: time=6ms\r
\r
Ping statistics for 2001:db8::1:\r
    Packets: Sent = 2, Received = 2, Lost = 0 (0% loss),\r
Approximate round trip times in milli-seconds:\r
    Minimum = 4ms, Maximum = 6ms, Average = 5ms\r
`;

describe('ping output parser', () => {
  it('Linux, all replies', () => {
    // RTTs 0.069 0.056 0.081 0.050 0.062; avg 0.318/5 = 0.0636 → 0.064 (3 decimals);
    // jitter (0.013 + 0.025 + 0.031 + 0.012)/4 = 0.081/4 = 0.02025 → 0.020
    expect(parseReplies(LINUX_ALL)).toEqual([0.069, 0.056, 0.081, 0.05, 0.062]);
    const s = summarize(5, parseReplies(LINUX_ALL));
    expect(s).toMatchObject({ sent: 5, received: 5, loss_percent: 0, rtt_min_ms: 0.05, rtt_max_ms: 0.081, rtt_avg_ms: 0.064 });
    expect(s.jitter_ms).toBe(0.02);
  });

  it('Linux, partial loss with a duplicate', () => {
    // replies to seq 1, 2, 4: 1.2, 3.4, 2.1 (the DUP! of seq 4 ignored); 3 of 5 → loss 40 %;
    // avg 6.7/3 = 2.2333 → 2.233; jitter (|3.4-1.2| + |2.1-3.4|)/2 = (2.2 + 1.3)/2 = 1.75
    expect(classifyBurst('linux', 0, LINUX_PARTIAL, 5)).toEqual({
      result: 'ok',
      stats: { sent: 5, received: 3, loss_percent: 40, rtt_min_ms: 1.2, rtt_avg_ms: 2.233, rtt_max_ms: 3.4, jitter_ms: 1.75 },
    });
  });

  it('Linux, 100 % loss is a timeout with no RTT fields', () => {
    expect(classifyBurst('linux', 1, LINUX_NONE, 5)).toEqual({ result: 'timeout', stats: { sent: 5, received: 0, loss_percent: 100 } });
  });

  it('Linux, an error of ping itself (exit 2) is an error, not a timeout', () => {
    expect(classifyBurst('linux', 2, '', 5).result).toBe('error');
  });

  it('Linux, IPv6', () => {
    // 0.064, 0.058: avg 0.061, jitter 0.006
    expect(summarize(2, parseReplies(LINUX_V6))).toEqual({ sent: 2, received: 2, loss_percent: 0, rtt_min_ms: 0.058, rtt_avg_ms: 0.061, rtt_max_ms: 0.064, jitter_ms: 0.006 });
  });

  it('Windows, English, one lost and one "<1ms"', () => {
    // 3, <1 (taken as its bound 1), lost, 12: 3 of 4 → loss 25 %; min 1, max 12,
    // avg 16/3 = 5.333; jitter (|1-3| + |12-1|)/2 = (2 + 11)/2 = 6.5
    expect(classifyBurst('win32', 0, WINDOWS_EN, 4)).toEqual({
      result: 'ok',
      stats: { sent: 4, received: 3, loss_percent: 25, rtt_min_ms: 1, rtt_avg_ms: 5.333, rtt_max_ms: 12, jitter_ms: 6.5 },
    });
  });

  it('Windows, Vietnamese', () => {
    // 3, 2, 5, 2: min 2, max 5, avg 12/4 = 3; jitter (1 + 3 + 3)/3 = 2.333
    const expected = { sent: 4, received: 4, loss_percent: 0, rtt_min_ms: 2, rtt_avg_ms: 3, rtt_max_ms: 5, jitter_ms: 2.333 };
    expect(classifyBurst('win32', 0, WINDOWS_VI, 4)).toEqual({ result: 'ok', stats: expected });
    // The agent decodes the console code page as latin1: non-ASCII letters are garbled, numbers are not.
    const garbled = Buffer.from(WINDOWS_VI, 'utf8').toString('latin1');
    expect(classifyBurst('win32', 0, garbled, 4).stats).toEqual(expected);
  });

  it('Windows, timeout (English and Vietnamese); "unreachable" is not a reply', () => {
    expect(classifyBurst('win32', 0, WINDOWS_TIMEOUT, 4)).toEqual({ result: 'timeout', stats: { sent: 4, received: 0, loss_percent: 100 } });
    expect(classifyBurst('win32', 1, WINDOWS_VI_TIMEOUT, 2)).toEqual({ result: 'timeout', stats: { sent: 2, received: 0, loss_percent: 100 } });
  });

  it('Windows, IPv6 replies have no TTL', () => {
    // 4, 6: avg 5, jitter 2
    expect(summarize(2, parseReplies(WINDOWS_V6))).toMatchObject({ received: 2, rtt_avg_ms: 5, jitter_ms: 2 });
  });

  it('one reply gives RTTs but no jitter', () => {
    expect(summarize(3, [4])).toEqual({ sent: 3, received: 1, loss_percent: 66.667, rtt_min_ms: 4, rtt_avg_ms: 4, rtt_max_ms: 4 });
  });
});
