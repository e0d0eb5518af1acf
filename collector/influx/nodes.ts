// One InfluxDB node of influx.urls: its write path, its admin client, and its schema (database,
// retention policies, continuous queries) made on it and retried in the background until it answers.
import type { InfluxDB } from 'influx';
import { ensureSchema, influxClient, RAW_RP, type InfluxSettings } from './setup.ts';
import { InfluxWriter } from './writer.ts';

export interface InfluxNode {
  url: string;
  writer: InfluxWriter;
  influx: InfluxDB;
  /** Resolves once the node has the database, retention policies and continuous queries. */
  ready: Promise<void>;
  schema(): { ok: boolean; error: string };
  close(): void;
}

/** Opens a node and starts preparing its schema (every node needs it: InfluxDB does not replicate it). */
export function influxNode(settings: InfluxSettings, retryMs: number): InfluxNode {
  const influx = influxClient(settings);
  const writer = new InfluxWriter({ ...settings, retentionPolicy: RAW_RP });
  const schema = { ok: false, error: 'not checked yet' };
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => {
    const attempt = async () => {
      try {
        await ensureSchema(influx, settings);
        schema.ok = true;
        resolve();
      } catch (err) {
        schema.error = (err as Error).message;
        if (!closed) timer = setTimeout(attempt, retryMs);
      }
    };
    void attempt();
  });
  return {
    url: settings.url,
    writer,
    influx,
    ready,
    schema: () => ({ ...schema }),
    close: () => {
      closed = true;
      clearTimeout(timer);
      writer.close();
    },
  };
}
