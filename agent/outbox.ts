// The outbox contract between the checks and the sender, and the in-memory outbox `once` and the
// sender's tests use; the durable one for `run` is outbox-disk.ts.
import type { WireSample } from '../protocol/index.ts';

/** Where samples wait between measurement and the collector's acknowledgement. */
export interface Outbox {
  /** Never blocks a check: when full, the oldest samples are dropped and counted. */
  append(samples: WireSample[]): void;
  /** The oldest samples, in order, bounded by count and serialized bytes. Does not remove them. */
  peek(maxSamples: number, maxBytes: number): WireSample[];
  /** The same as `peek`, each sample as its JSON text: what the sender sends, with no parse and re-serialise. */
  peekJson(maxSamples: number, maxBytes: number): Buffer[];
  /** Remove the first `count` samples returned by the last peek: only after the collector acknowledged them. */
  ack(count: number): void;
  stats(): OutboxStats;
  close(): void;
}

export interface OutboxStats {
  samples: number;
  bytes: number;
  /** Samples dropped since start because the outbox was full or too old. */
  dropped: number;
}

/** In-memory outbox for `once` and for tests of the sender; bounded like the disk one. */
export class MemoryOutbox implements Outbox {
  private readonly items: { sample: WireSample; bytes: number }[] = [];
  private bytes = 0;
  private dropped = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  append(samples: WireSample[]): void {
    for (const sample of samples) {
      const bytes = Buffer.byteLength(JSON.stringify(sample));
      this.items.push({ sample, bytes });
      this.bytes += bytes;
    }
    while (this.bytes > this.maxBytes && this.items.length > 0) {
      this.bytes -= this.items.shift()!.bytes;
      this.dropped++;
    }
  }

  peek(maxSamples: number, maxBytes: number): WireSample[] {
    const out: WireSample[] = [];
    let size = 0;
    for (const item of this.items) {
      if (out.length >= maxSamples || (out.length > 0 && size + item.bytes > maxBytes)) break;
      out.push(item.sample);
      size += item.bytes;
    }
    return out;
  }

  peekJson(maxSamples: number, maxBytes: number): Buffer[] {
    return this.peek(maxSamples, maxBytes).map((s) => Buffer.from(JSON.stringify(s)));
  }

  ack(count: number): void {
    for (const item of this.items.splice(0, count)) this.bytes -= item.bytes;
  }

  stats(): OutboxStats {
    return { samples: this.items.length, bytes: this.bytes, dropped: this.dropped };
  }

  close(): void {}
}
