// The risky services discovery looks for on every device it finds (telnet, SMB, RDP, SNMP with a
// default community, ...), probed while the sweep goes on.
import { snmpCommunityAccepted } from './snmp-router.ts';
import type { ExposurePort } from './spec.ts';
import { tcpConnect } from './tcp-probe.ts';

// The port list and its type live in spec.ts: the config schema needs them without this module.
export { DEFAULT_EXPOSURE_PORTS, type ExposurePort } from './spec.ts';

export interface OpenService {
  ip: string;
  port: ExposurePort;
}

/**
 * Probes every risky service of each address handed to `add`, `concurrency` probes at a time, while
 * the sweep goes on: a device found in the first milliseconds is probed while fping still waits for
 * the silent addresses.
 */
export class ExposureProber {
  private readonly queue: { ip: string; port: ExposurePort }[] = [];
  private readonly seen = new Set<string>();
  private readonly open: OpenService[] = [];
  private running = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly ports: readonly ExposurePort[],
    private readonly timeoutMs: number,
    private readonly concurrency: number,
    private readonly signal: AbortSignal,
  ) {}

  add(ip: string): void {
    if (this.seen.has(ip)) return;
    this.seen.add(ip);
    for (const port of this.ports) this.queue.push({ ip, port });
    this.pump();
  }

  /** Every open service of every address added so far, once all their probes are done. */
  async done(): Promise<OpenService[]> {
    if (this.running > 0 || this.queue.length > 0) await new Promise<void>((r) => this.idle.push(r));
    return this.open;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0 && !this.signal.aborted) {
      const { ip, port } = this.queue.shift()!;
      this.running++;
      void this.probe(ip, port).then((isOpen) => {
        if (isOpen) this.open.push({ ip, port });
        this.running--;
        this.pump();
      });
    }
    if (this.running === 0 && (this.queue.length === 0 || this.signal.aborted)) {
      this.queue.length = 0;
      for (const r of this.idle.splice(0)) r();
    }
  }

  private probe(ip: string, port: ExposurePort): Promise<boolean> {
    if (port.protocol === 'udp') return snmpCommunityAccepted(ip, port.port, port.community ?? 'public', this.timeoutMs, this.signal);
    return tcpConnect(ip, port.port, this.timeoutMs, this.signal).then((o) => o === 'open');
  }
}

export function exposureKey(o: OpenService): string {
  return `${o.ip}|${o.port.port}|${o.port.protocol}|${o.port.service}`;
}
