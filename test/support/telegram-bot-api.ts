// The one Bot API method the collector uses, `POST /bot<token>/sendMessage`, served on loopback as
// https://core.telegram.org/bots/api documents it: the contract the Telegram channel is tested against
// (never the real api.telegram.org). Answers and errors have Telegram's shape; parse_mode HTML is checked.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface SentMessage {
  chatId: string;
  text: string;
  /** The text as a chat shows it: tags dropped, entities decoded. */
  visible: string;
  parseMode?: string;
  body: Record<string, unknown>;
  at: number;
}

export interface BotApi {
  /** The base URL to configure as `apiUrl` (a relay's, with a path prefix). */
  apiUrl: string;
  messages: SentMessage[];
  /** Every request it refused: the Bot API's error_code and description. */
  errors: { status: number; description: string; at: number }[];
  /** The raw request paths seen (they hold the token: a test asserts where it must not appear). */
  paths: string[];
  /** Answer the next `n` sendMessage calls with 429 and `retry_after` seconds, as Telegram's flood control does. */
  floodNext(n: number, retryAfter: number): void;
  close(): Promise<void>;
}

/** Tags parse_mode HTML knows (https://core.telegram.org/bots/api#html-style). */
const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/**
 * Telegram's HTML parsing, as far as the contract needs: every `<` opens a known tag and every `&` starts
 * an entity it knows; tags close in order. Returns the visible text, or the error Telegram would give.
 */
export function parseTelegramHtml(text: string): { visible: string } | { error: string } {
  const open: string[] = [];
  let visible = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '<') {
      const m = /^<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>/.exec(text.slice(i));
      if (!m || !HTML_TAGS.has(m[2])) return { error: `Bad Request: can't parse entities: unsupported start tag at byte offset ${i}` };
      if (m[1]) {
        if (open.pop() !== m[2]) return { error: `Bad Request: can't parse entities: unmatched end tag at byte offset ${i}` };
      } else open.push(m[2]);
      i += m[0].length;
    } else if (c === '&') {
      const m = /^&(?:([a-z]+)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/.exec(text.slice(i));
      if (!m || (m[1] !== undefined && !(m[1] in ENTITIES))) return { error: `Bad Request: can't parse entities: unsupported entity at byte offset ${i}` };
      visible += m[1] !== undefined ? ENTITIES[m[1]] : String.fromCodePoint(m[2] !== undefined ? Number(m[2]) : parseInt(m[3], 16));
      i += m[0].length;
    } else if (c === '>') {
      return { error: `Bad Request: can't parse entities: character '>' is reserved at byte offset ${i}` };
    } else {
      visible += c;
      i++;
    }
  }
  if (open.length > 0) return { error: `Bad Request: can't parse entities: can't find end tag corresponding to start tag "${open.at(-1)}"` };
  return { visible };
}

/** Checks one sendMessage body against the documented parameters; the error as Telegram words it. */
function checkSendMessage(body: Record<string, unknown>): { visible: string } | { error: string } {
  const chat = body.chat_id;
  if (!(typeof chat === 'number' && Number.isInteger(chat)) && !(typeof chat === 'string' && /^(-?\d+|@\w{4,32})$/.test(chat))) return { error: 'Bad Request: chat not found' };
  if (typeof body.text !== 'string' || body.text.trim() === '') return { error: 'Bad Request: message text is empty' };
  const mode = body.parse_mode;
  if (mode !== undefined && !['HTML', 'MarkdownV2', 'Markdown'].includes(mode as string)) return { error: `Bad Request: unsupported parse_mode "${String(mode)}"` };
  const parsed = mode === 'HTML' ? parseTelegramHtml(body.text) : { visible: body.text };
  if ('error' in parsed) return parsed;
  // "1-4096 characters after entities parsing"
  if ([...parsed.visible].length > 4096) return { error: 'Bad Request: message is too long' };
  return parsed;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/** A Bot API for one bot (`token`), behind `prefix` as a relay would put it; unknown tokens get 401 Unauthorized. */
export async function startBotApi(token: string, opts: { prefix?: string; echoPathOnError?: boolean } = {}): Promise<BotApi> {
  const prefix = opts.prefix ?? '';
  const messages: SentMessage[] = [];
  const errors: BotApi['errors'] = [];
  const paths: string[] = [];
  let flood = { n: 0, retryAfter: 1 };
  let nextId = 1;
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    paths.push(path);
    const answer = (status: number, payload: Record<string, unknown>) => {
      if (status !== 200) errors.push({ status, description: String(payload.description), at: Date.now() });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const fail = (status: number, description: string, extra: Record<string, unknown> = {}) => answer(status, { ok: false, error_code: status, description, ...extra });
    const raw = await readBody(req, 1024 * 1024);
    const m = new RegExp(`^${prefix}/bot([^/]+)/([A-Za-z]+)$`).exec(path);
    // A careless relay answers an unknown route by echoing it (token and all): the collector must not repeat it.
    if (!m) return opts.echoPathOnError ? res.writeHead(404, { 'content-type': 'text/plain' }).end(`Cannot ${req.method} ${path}`) : fail(404, 'Not Found');
    if (decodeURIComponent(m[1]) !== token) return opts.echoPathOnError ? res.writeHead(404, { 'content-type': 'text/html' }).end(`<pre>Cannot POST ${path}</pre>`) : fail(401, 'Unauthorized');
    if (m[2].toLowerCase() !== 'sendmessage') return fail(404, 'Not Found: method not found');
    if (req.method !== 'POST') return fail(405, 'Method Not Allowed');
    if (!raw) return fail(413, 'Request Entity Too Large');
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return fail(400, 'Bad Request: the collector sends JSON; this contract knows no other body');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return fail(400, "Bad Request: can't parse JSON");
    }
    if (flood.n > 0) {
      flood.n--;
      return fail(429, `Too Many Requests: retry after ${flood.retryAfter}`, { parameters: { retry_after: flood.retryAfter } });
    }
    const checked = checkSendMessage(body);
    if ('error' in checked) return fail(400, checked.error);
    const chatId = String(body.chat_id);
    messages.push({ chatId, text: body.text as string, visible: checked.visible, parseMode: body.parse_mode as string | undefined, body, at: Date.now() });
    answer(200, { ok: true, result: { message_id: nextId++, date: Math.floor(Date.now() / 1000), chat: { id: /^-?\d+$/.test(chatId) ? Number(chatId) : 0, type: 'supergroup' }, text: checked.visible } });
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    apiUrl: `http://127.0.0.1:${port}${prefix}`,
    messages,
    errors,
    paths,
    floodNext: (n, retryAfter) => {
      flood = { n, retryAfter };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
