// The agent writes a video-conference endpoint's `reason` in English, one part per failed component,
// joined with "; " (agent/checks/videoconf: judge and probeEndpoint). The console is Vietnamese first,
// so it says each known part again in Vietnamese; a part it does not know is shown as written.
import type { Locale } from './i18n.ts';

const RESULT_VI: Record<string, string> = {
  ok: 'bình thường',
  timeout: 'quá thời gian chờ',
  refused: 'bị từ chối',
  dns_error: 'không phân giải được tên',
  tls_error: 'lỗi TLS',
  error: 'lỗi',
};

const DETAIL_VI: Record<string, string> = {
  'no SIP answer': 'không có trả lời SIP',
  'no SIP stack on the port': 'cổng không có dịch vụ SIP',
  'name does not resolve': 'không phân giải được tên',
  'truncated answer': 'trả lời bị cắt cụt',
  'connection closed without a SIP answer': 'kết nối đóng mà không có trả lời SIP',
};

/** "timeout" → "quá thời gian chờ"; "answered 503 Service Unavailable" → "trả lời 503 Service Unavailable". */
function outcomeVi(s: string): string {
  if (RESULT_VI[s]) return RESULT_VI[s];
  if (DETAIL_VI[s]) return DETAIL_VI[s];
  const answered = /^answered (.+)$/.exec(s);
  if (answered) return `trả lời ${answered[1]}`;
  const withMessage = /^(\w+): (.+)$/.exec(s);
  if (withMessage && RESULT_VI[withMessage[1]]) return `${RESULT_VI[withMessage[1]]}: ${withMessage[2]}`;
  return s;
}

const PARTS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^no ICMP reply$/, () => 'không có phản hồi ICMP'],
  [/^loss (\S+)% ≥ (\S+)%$/, (m) => `mất gói ${m[1]}% ≥ ${m[2]}%`],
  [/^jitter (\S+) ms ≥ (\S+) ms$/, (m) => `jitter ${m[1]} ms ≥ ${m[2]} ms`],
  [/^RTT (\S+) ms ≥ (\S+) ms$/, (m) => `độ trễ khứ hồi ${m[1]} ms ≥ ${m[2]} ms`],
  [/^MOS (\S+) < (\S+)$/, (m) => `điểm MOS ${m[1]} < ${m[2]}`],
  [/^ping (.+)$/, (m) => `ping: ${outcomeVi(m[1])}`],
  [/^SIP (\w+\/\d+) (.+)$/, (m) => `SIP ${m[1]}: ${outcomeVi(m[2])}`],
  [/^H\.323 (.+)$/, (m) => `H.323: ${outcomeVi(m[1])}`],
  [/^HTTPS answered (\d+)$/, (m) => `HTTPS trả mã ${m[1]}`],
  [/^HTTPS ca file (.+) unreadable \((.+)\)$/, (m) => `HTTPS: không đọc được tệp CA ${m[1]} (${m[2]})`],
  [/^HTTPS (.+)$/, (m) => `HTTPS: ${outcomeVi(m[1])}`],
  [/^SNMP (.+)$/, (m) => `SNMP: ${outcomeVi(m[1])}`],
];

export function videoconfReason(locale: Locale, reason: string): string {
  if (locale !== 'vi') return reason;
  return reason
    .split('; ')
    .map((part) => {
      for (const [re, say] of PARTS) {
        const m = re.exec(part);
        if (m) return say(m);
      }
      return part;
    })
    .join('; ');
}
