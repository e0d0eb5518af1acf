// `canhgac-agent update-check`: what a freshly installed build runs once, before the old one hands over,
// to prove it is healthy: its config loads, the collector accepts its `agent_status` sample with its version.
import { PATHS, VERSION, AGENT_VERSION_HEADER, type IngestResponse } from '../../protocol/index.ts';
import { CollectorClient } from '../collector-client.ts';
import type { AgentConfig } from '../config.ts';
import { MemoryOutbox } from '../outbox.ts';
import { agentStatusSample } from '../status.ts';
import { readToken } from '../token-store.ts';

/** Why this build is not healthy, or undefined when the collector accepted its status sample. Bounded (20 s). */
export async function healthReason(config: AgentConfig): Promise<string | undefined> {
  if (!config.collector) return `${config.file}: collector: missing`;
  const token = readToken(config.collector.tokenFile);
  if (!token) return `no agent token in ${config.collector.tokenFile}`;
  const client = new CollectorClient(config.collector.url, { ca: config.collector.ca, timeoutMs: 20_000 });
  try {
    const res = await client.postJson(PATHS.samples, { samples: [agentStatusSample(new MemoryOutbox().stats(), 0)] }, { token, headers: { [AGENT_VERSION_HEADER]: VERSION } });
    const accepted = (res.body as IngestResponse | undefined)?.accepted;
    return res.status === 200 && accepted === 1 ? undefined : `the collector answered ${res.status} to the health sample`;
  } catch (err) {
    return `cannot reach the collector: ${(err as Error).message}`;
  } finally {
    client.close();
  }
}

/** Exit code 0 when healthy; 1 with the reason on stderr otherwise. */
export async function updateCheck(config: AgentConfig): Promise<number> {
  const reason = await healthReason(config);
  if (reason) {
    process.stderr.write(`update-check: ${reason}\n`);
    return 1;
  }
  process.stdout.write(`healthy: version ${VERSION}, the collector accepted its status sample\n`);
  return 0;
}
