// This machine's ARP/neighbour table on Linux and Windows, from whichever system source answers;
// the parsing of each format lives in neighbour-parse.ts.
import { readFile } from 'node:fs/promises';
import { parseArpA, parseGetNetNeighborJson, parseIpNeigh, parseProcNetArp, type Neighbour } from './neighbour-parse.ts';
import { runCommand } from './run-command.ts';

const GET_NET_NEIGHBOR =
  "Get-NetNeighbor -AddressFamily IPv4 -ErrorAction SilentlyContinue | Select-Object IPAddress,LinkLayerAddress,@{n='State';e={[string]$_.State}} | ConvertTo-Json -Compress";

/**
 * This machine's IPv4 neighbour table. Linux: `ip neigh` (it has states), else /proc/net/arp.
 * Windows: Get-NetNeighbor (it has states), else `arp -a`. Empty when no source answers.
 */
export async function readNeighbours(signal: AbortSignal, platform: NodeJS.Platform = process.platform): Promise<Neighbour[]> {
  if (platform === 'win32') {
    const ps = await runCommand('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', GET_NET_NEIGHBOR], { signal, budgetMs: 15_000 });
    if (!ps.spawnError && ps.code === 0) {
      try {
        return parseGetNetNeighborJson(ps.stdout);
      } catch {
        // fall through to arp -a
      }
    }
    const arp = await runCommand('arp', ['-a'], { signal, budgetMs: 10_000, encoding: 'latin1' });
    return arp.spawnError ? [] : parseArpA(arp.stdout);
  }
  const ip = await runCommand('ip', ['-s', '-4', 'neigh', 'show'], { signal, budgetMs: 10_000 });
  if (!ip.spawnError && ip.code === 0) return parseIpNeigh(ip.stdout);
  try {
    return parseProcNetArp(await readFile('/proc/net/arp', 'utf8'));
  } catch {
    return [];
  }
}
