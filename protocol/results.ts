/** The `result` tag of every probe: failures are data, not exceptions. */
export const RESULTS = ['ok', 'timeout', 'refused', 'dns_error', 'tls_error', 'error'] as const;
export type Result = (typeof RESULTS)[number];

/** Map a Node.js network error to a result code. */
export function resultOfError(err: unknown): Result {
  const code = (err as { code?: string } | null)?.code ?? '';
  const name = (err as { name?: string } | null)?.name ?? '';
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ABORT_ERR') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') return 'dns_error';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME/.test(code)) return 'tls_error';
  return 'error';
}
