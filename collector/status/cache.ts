// The status page is rendered from this cache, rebuilt every 30 seconds: a burst of citizens costs a
// string lookup, never an InfluxDB query or a database read per request.
import { gzipSync } from 'node:zlib';
import type { InfluxDB } from 'influx';
import type { StateSql } from '../state/sql/connect.ts';
import { StatusHistory } from './history.ts';
import { DEFAULT_TITLE, overallOf, publicNotice, publicService, STATUS_SCHEMA_VERSION, type StatusModel } from './model.ts';
import { currentNotices, type Notice } from './notices.ts';
import { statusPage } from './page.ts';
import { ProbeState } from './probe-state.ts';
import type { StatusConfig } from './settings.ts';

export const STATUS_REFRESH_MS = 30_000;
/** The 90-day read gives up after this; the page keeps the last record it had. */
const HISTORY_TIMEOUT_MS = 10_000;

// Compressed once per refresh, not per request: the crowd pays for bytes on the wire only.
const body = (text: string): Body => {
  const plain = Buffer.from(text, 'utf8');
  return { plain, gzip: gzipSync(plain, { level: 9 }) };
};

/** A body ready to send as it is, and its gzip form for the browsers that take it (all of them). */
export interface Body {
  plain: Buffer;
  gzip: Buffer;
}

export interface Rendered {
  model: StatusModel;
  json: Body;
  html: { vi: Body; en: Body };
  /** Strong validator for conditional requests. */
  etag: string;
}

export class StatusCache {
  readonly probes: ProbeState;
  readonly history: StatusHistory;
  private current: Rendered;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  /** The notices as last read: a state database that does not answer leaves the page with these. */
  private notices: Notice[] = [];

  constructor(
    private readonly state: StateSql,
    private readonly config: StatusConfig & { staleAfterMs: number; historyTimeoutMs?: number },
    influx: InfluxDB | undefined,
    database: string,
    private readonly log: { warn(o: object, m: string): void },
  ) {
    this.probes = new ProbeState(config.services);
    this.history = new StatusHistory(config.services, influx, database);
    this.current = this.render(Date.now());
  }

  get rendered(): Rendered {
    return this.current;
  }

  /** Reads the notices and renders the page with them (at start, so that the first page has them). Never rejects. */
  async loadNotices(now = Date.now()): Promise<void> {
    await this.readNotices(now);
    this.current = this.render(now);
  }

  private async readNotices(now: number): Promise<void> {
    try {
      this.notices = await currentNotices(this.state, now);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'status page: the notices could not be read; showing the last ones');
    }
  }

  /** Rebuild now (the timer calls it; tests and the console after a notice change too). Never rejects. */
  refresh(now = Date.now()): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        // Bounded: a hung InfluxDB must not hold back the current state, which comes from the ingest stream.
        const ms = this.config.historyTimeoutMs ?? HISTORY_TIMEOUT_MS;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
        await Promise.race([this.history.refresh(now), timeout]).finally(() => clearTimeout(timer));
      } catch (err) {
        // The current state comes from the ingest stream: the page stays right about "now" without InfluxDB.
        this.log.warn({ err: (err as Error).message }, 'status page: the 90-day record could not be read; showing the last one');
      }
      // Read after the 90-day record, not beside it: a notice written while that is awaited (the console
      // then asks for this same refresh) is on the page it renders.
      await this.readNotices(now);
      try {
        this.current = this.render(now);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'status page: rendering failed; showing the last page');
      }
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), STATUS_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private render(now: number): Rendered {
    const services = this.config.services.map((svc, i) => publicService(svc, this.probes.stateOf(i, now, this.config.staleAfterMs), this.history.days(i, now)));
    const known = new Set(this.config.services.map((s) => s.id));
    const model: StatusModel = {
      version: STATUS_SCHEMA_VERSION,
      generatedAt: new Date(now).toISOString(),
      title: this.config.title ?? DEFAULT_TITLE,
      overall: overallOf(services.map((s) => s.state)),
      services,
      notices: this.notices.map((n) => publicNotice(n, known)),
    };
    return { model, json: body(JSON.stringify(model)), html: { vi: body(statusPage(model, 'vi')), en: body(statusPage(model, 'en')) }, etag: `"${now.toString(36)}"` };
  }
}
