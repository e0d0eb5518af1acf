// Tells a state database that cannot answer now (PostgreSQL down, restarting, unreachable, a statement
// cancelled by its timeout; SQLite busy) from a fault in the request: the first is a 503 to retry later.
//
// PostgreSQL's SQLSTATEs: class 08 is a connection exception; 57P01-57P03 a server shutting down or
// starting; 57014 a statement cancelled (our statement_timeout); 53300 no connection slot left.
const PG_CODES = new Set(['57P01', '57P02', '57P03', '57014', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres and its pool say these in words, without a code.
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection ended)/;

function oneUnreachable(err: { code?: unknown; message?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  if (PG_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || SOCKET_CODES.has(code) || code.startsWith('SQLITE_BUSY')) return true;
  return typeof err.message === 'string' && PG_MESSAGES.test(err.message);
}

/** True when `err` (or what caused it, a few levels down) says the state database cannot answer now. */
export function stateUnreachable(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur !== null && typeof cur === 'object'; depth++) {
    const e = cur as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (oneUnreachable(e)) return true;
    // Node's connect to a name with several addresses fails with an AggregateError of each attempt.
    if (Array.isArray(e.errors) && e.errors.slice(0, 8).some((x) => x !== null && typeof x === 'object' && oneUnreachable(x as object))) return true;
    cur = e.cause;
  }
  return false;
}

/** What the collector answers meanwhile: retry after this many seconds. */
export const STATE_RETRY_AFTER_S = 10;
