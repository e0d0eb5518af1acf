// A webhook receiver on loopback that does what the README asks of a real one: it checks the HMAC-SHA256
// signature over `timestamp.body` with its own copy of the secret, refuses old timestamps and replays.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Delivery {
  headers: IncomingMessage['headers'];
  raw: string;
  body: Record<string, unknown>;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  /** Deliveries whose signature held, in arrival order. */
  accepted: Delivery[];
  /** Every refused request: its status and why. */
  refused: { status: number; reason: string; at: number }[];
  /** The secret it checks with (a test may hand it the right one later). */
  secret: string;
  /** Answer the next `n` good deliveries with this status instead of 204 (a receiver that is down). */
  failNext(n: number, status: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

const MAX_BODY = 2 * 1024 * 1024;
/** A signed request older (or newer) than this is refused: a captured one cannot be played again later. */
export const TOLERANCE_SECONDS = 300;

/** The README's verification, as a receiver would write it. */
export function verifyWebhook(secret: string, headers: IncomingMessage['headers'], raw: Buffer, nowSeconds = Math.floor(Date.now() / 1000)): string | undefined {
  const ts = String(headers['x-canhgac-timestamp'] ?? '');
  const sig = String(headers['x-canhgac-signature'] ?? '');
  if (!/^\d{1,12}$/.test(ts)) return 'no timestamp';
  if (Math.abs(nowSeconds - Number(ts)) > TOLERANCE_SECONDS) return 'timestamp too old or too new';
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.`).update(raw).digest('hex')}`);
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad signature';
  return undefined;
}

export async function startWebhookReceiver(secret: string, path = '/hooks/canhgac'): Promise<WebhookReceiver> {
  const accepted: Delivery[] = [];
  const refused: WebhookReceiver['refused'] = [];
  const seen = new Set<string>();
  let failing = { n: 0, status: 503, headers: {} as Record<string, string> };
  const self: Partial<WebhookReceiver> = { accepted, refused, secret };
  const refuse = (res: import('node:http').ServerResponse, status: number, reason: string) => {
    refused.push({ status, reason, at: Date.now() });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== path) return refuse(res, 404, 'no such hook');
      if (size > MAX_BODY) return refuse(res, 413, 'too large');
      const raw = Buffer.concat(chunks);
      const problem = verifyWebhook(self.secret!, req.headers, raw);
      if (problem) return refuse(res, 401, problem);
      // The same signed request again (same timestamp and body, hence the same signature) is a replay.
      const key = String(req.headers['x-canhgac-signature']);
      if (seen.has(key)) return refuse(res, 409, 'replayed');
      seen.add(key);
      if (failing.n > 0) {
        failing.n--;
        res.writeHead(failing.status, failing.headers).end('temporarily unavailable');
        return;
      }
      accepted.push({ headers: req.headers, raw: raw.toString('utf8'), body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(self, {
    url: `http://127.0.0.1:${port}${path}`,
    failNext: (n: number, status: number, headers: Record<string, string> = {}) => {
      failing = { n, status, headers };
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  }) as WebhookReceiver;
}
