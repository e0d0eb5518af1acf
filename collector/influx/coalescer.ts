// Batches concurrent ingest requests into fewer, larger InfluxDB writes without adding delay, so the
// write rate follows InfluxDB's appetite rather than the number of agents posting at once.
interface Waiting {
  lines: string;
  count: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Joins the line protocol of concurrent ingest requests into fewer, larger InfluxDB writes (InfluxDB
 * is most efficient at thousands of points a write). No added delay: a write starts at once while
 * fewer than `maxInFlight` are running; requests arriving meanwhile ride together on the next one.
 * Every request learns the outcome of the write that carried it (and falls back to the spool on failure).
 * When InfluxDB refuses part of a shared write (`splitOn`), each request is written again alone, so only
 * the requests whose own points were refused hear so (the others' points are overwritten with themselves).
 */
export class WriteCoalescer {
  private queue: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly write: (parts: string[]) => Promise<void>,
    private readonly maxPoints = 5000,
    private readonly maxInFlight = 2,
    private readonly splitOn: (err: unknown) => boolean = () => false,
  ) {}

  submit(lines: string, count: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ lines, count, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch: Waiting[] = [];
      let points = 0;
      while (this.queue.length > 0 && (batch.length === 0 || points + this.queue[0].count <= this.maxPoints)) {
        const w = this.queue.shift()!;
        batch.push(w);
        points += w.count;
      }
      this.inFlight++;
      this.write(batch.map((w) => w.lines)).then(
        () => {
          this.inFlight--;
          for (const w of batch) w.resolve();
          this.pump();
        },
        (err: unknown) => {
          if (batch.length > 1 && this.splitOn(err)) {
            // Still in flight: the requests are written again one by one.
            void this.oneByOne(batch);
            return;
          }
          this.inFlight--;
          for (const w of batch) w.reject(err);
          this.pump();
        },
      );
    }
  }

  private async oneByOne(batch: Waiting[]): Promise<void> {
    for (const w of batch) {
      try {
        await this.write([w.lines]);
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
    this.inFlight--;
    this.pump();
  }
}
