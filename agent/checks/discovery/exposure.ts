import { forEachLimited } from '../probe.ts';
import { snmpCommunityAccepted } from './snmp-router.ts';
import { tcpConnect } from './tcp-probe.ts';

export interface ExposurePort {
  port: number;
  protocol: 'tcp' | 'udp';
  service: string;
  /** 1 low .. 4 critical. */
  risk: number;
  /** UDP entries are SNMP: the community tried (a device answering it is exposed). */
  community?: string;
}

/** Services that should never be open inside an agency LAN, and how bad each one is. */
export const DEFAULT_EXPOSURE_PORTS: ExposurePort[] = [
  { port: 23, protocol: 'tcp', service: 'telnet', risk: 4 },
  { port: 5900, protocol: 'tcp', service: 'vnc', risk: 4 },
  { port: 21, protocol: 'tcp', service: 'ftp', risk: 3 },
  { port: 445, protocol: 'tcp', service: 'smb', risk: 3 },
  { port: 3389, protocol: 'tcp', service: 'rdp', risk: 3 },
  { port: 161, protocol: 'udp', service: 'snmp', risk: 3, community: 'public' },
  { port: 1433, protocol: 'tcp', service: 'mssql', risk: 2 },
  { port: 3306, protocol: 'tcp', service: 'mysql', risk: 2 },
];

export interface OpenService {
  ip: string;
  port: ExposurePort;
}

/** Every (address, service) pair, `concurrency` at a time; returns the open ones. */
export async function probeExposures(ips: readonly string[], ports: readonly ExposurePort[], timeoutMs: number, concurrency: number, signal: AbortSignal): Promise<OpenService[]> {
  const pairs = ips.flatMap((ip) => ports.map((port) => ({ ip, port })));
  const open: OpenService[] = [];
  await forEachLimited(pairs, concurrency, signal, async ({ ip, port }) => {
    const isOpen =
      port.protocol === 'udp'
        ? await snmpCommunityAccepted(ip, port.port, port.community ?? 'public', timeoutMs, signal)
        : (await tcpConnect(ip, port.port, timeoutMs, signal)) === 'open';
    if (isOpen) open.push({ ip, port });
  });
  return open;
}

export function exposureKey(o: OpenService): string {
  return `${o.ip}|${o.port.port}|${o.port.protocol}|${o.port.service}`;
}
