// Pure parsers for the output of the system `ping` (Linux iputils, Windows PING.EXE), shared by
// the ping bursts and the discovery sweep.

/*
 * Windows translates every word of its output (Vietnamese: "Phản hồi từ 10.0.0.1: byte=32
 * thời gian=3ms TTL=64") and prints it in the console code page, so nothing here matches a word:
 * a reply is a line where an address is followed by a colon and a round trip written `=N ms` or
 * `<N ms`. Summary lines ("Minimum = 0ms", "rtt min/avg/max/mdev = ...") carry no such address
 * and lost-packet lines ("Request timed out.") carry no such number.
 */

const ADDRESS = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+(?:%[\w.-]+)?)`;
const REPLY_ADDRESS = new RegExp(`${ADDRESS}\\)?:\\s`);
const RTT = /([=<])\s?(\d+(?:[.,]\d+)?)\s?ms\b/i;
const SEQ = /icmp_seq=(\d+)/;

/** Round trips in ms, in arrival order, one per distinct echo request answered. */
export function parseReplies(output: string): number[] {
  const rtts: number[] = [];
  const seen = new Set<string>();
  for (const line of output.split(/\r?\n/)) {
    if (!REPLY_ADDRESS.test(line)) continue;
    const m = RTT.exec(line);
    if (!m) continue;
    // Linux marks duplicated replies; a duplicate answers a request already counted.
    if (line.includes('DUP!')) continue;
    const seq = SEQ.exec(line)?.[1];
    if (seq !== undefined) {
      if (seen.has(seq)) continue;
      seen.add(seq);
    }
    // Windows prints "<1ms" below its resolution: keep the bound it states rather than invent a value.
    rtts.push(Number(m[2].replace(',', '.')));
  }
  return rtts;
}

export interface PingSummary {
  sent: number;
  received: number;
  loss_percent: number;
  rtt_min_ms?: number;
  rtt_avg_ms?: number;
  rtt_max_ms?: number;
  jitter_ms?: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Statistics of one burst of `sent` echo requests that got the replies `rtts`. */
export function summarize(sent: number, rtts: readonly number[]): PingSummary {
  const received = Math.min(rtts.length, sent);
  const got = rtts.slice(0, received);
  const summary: PingSummary = { sent, received, loss_percent: sent > 0 ? round3(((sent - received) / sent) * 100) : 100 };
  if (received === 0) return summary;
  summary.rtt_min_ms = round3(Math.min(...got));
  summary.rtt_max_ms = round3(Math.max(...got));
  summary.rtt_avg_ms = round3(got.reduce((a, b) => a + b, 0) / received);
  // Jitter needs a pair of consecutive replies; with one reply it is unknown, not zero.
  if (received >= 2) {
    let sum = 0;
    for (let i = 1; i < received; i++) sum += Math.abs(got[i] - got[i - 1]);
    summary.jitter_ms = round3(sum / (received - 1));
  }
  return summary;
}

export interface BurstResult {
  result: 'ok' | 'timeout' | 'error';
  stats: PingSummary;
}

/**
 * What one finished ping process means. Any reply is `ok`. With none, iputils exits 1 for
 * "nothing answered" and 2 for an error of its own (no permission, no route, bad option);
 * Windows exits 1 or even 0 ("Destination host unreachable" counts as a reply there) and has no
 * separate error code, so no reply is a timeout.
 */
export function classifyBurst(platform: NodeJS.Platform, exitCode: number | null, stdout: string, count: number): BurstResult {
  const stats = summarize(count, parseReplies(stdout));
  if (stats.received > 0) return { result: 'ok', stats };
  if (platform !== 'win32' && exitCode !== null && exitCode >= 2) return { result: 'error', stats };
  return { result: 'timeout', stats };
}

/*
 * fping -C N -q prints, on stderr, one line per target once every burst is over: the target as it was
 * given, a colon, then N round trips in ms in the order the requests were sent, `-` for each one that
 * got no reply in time ("192.0.2.10 : 0.91 1.02 - 0.87"). Other stderr lines (ICMP errors, send
 * errors) carry no such list.
 */
const FPING_COUNTS = /^(\S+)\s+:((?:\s+(?:\d+(?:\.\d+)?|-))+)\s*$/;
const FPING_SEND_ERROR = /^(\S+): error while sending ping: (.+)$/;

export interface FpingTarget {
  /** Round trips in ms of the requests that were answered, in the order they were sent. */
  rtts: number[];
  /** Requests the line accounts for (answered or not). */
  sent: number;
  /** The first send error fping reported for this target, if any. */
  sendError?: string;
}

/** fping -C output (stderr) per target; a target fping printed nothing for is absent. */
export function parseFpingCounts(stderr: string): Map<string, FpingTarget> {
  const out = new Map<string, FpingTarget>();
  const errors = new Map<string, string>();
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.trim();
    const m = FPING_COUNTS.exec(line);
    if (m) {
      const values = m[2].trim().split(/\s+/);
      out.set(m[1], { rtts: values.filter((v) => v !== '-').map(Number), sent: values.length });
      continue;
    }
    const e = FPING_SEND_ERROR.exec(line);
    if (e && !errors.has(e[1])) errors.set(e[1], e[2]);
  }
  for (const [target, message] of errors) {
    const t = out.get(target);
    if (t) t.sendError = message;
  }
  return out;
}
