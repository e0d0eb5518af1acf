// Alert state changes written to InfluxDB as `alerts` points, so Grafana can draw them as
// annotations; buffered, because alerting must go on while InfluxDB is down.
import type { WireSample } from '../../protocol/index.ts';
import type { AlertChange } from './engine.ts';
import type { AlertRow } from './store.ts';

const MAX_BUFFERED = 10_000;

/**
 * Alert state changes as `alerts` points for Grafana annotations. InfluxDB being down must not stop
 * alerting: points wait in a bounded buffer and go out with the next flush.
 */
export class AnnotationWriter {
  private buffer: WireSample[] = [];
  private flushing = false;
  dropped = 0;

  constructor(private readonly writer: { write(samples: WireSample[]): Promise<void> } | undefined) {}

  record(row: AlertRow, change: AlertChange, summary: string, at: number): void {
    if (!this.writer) return;
    const tags: Record<string, string> = { rule: row.rule, severity: row.severity, state: change };
    if (row.agency) tags.agency = row.agency;
    if (row.agent) tags.agent = row.agent;
    this.buffer.push({ measurement: 'alerts', tags, fields: { firing: change === 'firing' ? 1 : 0, summary, alert_id: String(row.id) }, time: new Date(at).toISOString() });
    if (this.buffer.length > MAX_BUFFERED) {
      this.dropped += this.buffer.length - MAX_BUFFERED;
      this.buffer = this.buffer.slice(-MAX_BUFFERED);
    }
  }

  async flush(): Promise<void> {
    if (!this.writer || this.flushing || this.buffer.length === 0) return;
    this.flushing = true;
    const batch = this.buffer;
    this.buffer = [];
    try {
      await this.writer.write(batch);
    } catch {
      this.buffer = [...batch, ...this.buffer].slice(-MAX_BUFFERED);
    } finally {
      this.flushing = false;
    }
  }

  pending(): number {
    return this.buffer.length;
  }
}
