// `canhgac-agent update-check`: what a freshly installed build runs once, before the old one hands over,
// to prove it is healthy: its config loads, the collector accepts its `agent_status` sample with its version.
import { PATHS, VERSION, AGENT_VERSION_HEADER, type IngestResponse } from '../../protocol/index.ts';
import { CollectorClient } from '../collector-client.ts';
import type { AgentConfig } from '../config.ts';
import { MemoryOutbox } from '../outbox.ts';
import { agentStatusSample } from '../status.ts';
import { readToken } from '../token-store.ts';

/** Exit code 0 when healthy; 1 with the reason on stderr otherwise. Bounded by the client's timeout (20 s). */
export async function updateCheck(config: AgentConfig): Promise<number> {
  if (!config.collector) return fail(`${config.file}: collector: missing`);
  const token = readToken(config.collector.tokenFile);
  if (!token) return fail(`no agent token in ${config.collector.tokenFile}`);
  const client = new CollectorClient(config.collector.url, { ca: config.collector.ca, timeoutMs: 20_000 });
  try {
    const res = await client.postJson(PATHS.samples, { samples: [agentStatusSample(new MemoryOutbox().stats(), 0)] }, { token, headers: { [AGENT_VERSION_HEADER]: VERSION } });
    const accepted = (res.body as IngestResponse | undefined)?.accepted;
    if (res.status !== 200 || accepted !== 1) return fail(`the collector answered ${res.status} to the health sample`);
    process.stdout.write(`healthy: version ${VERSION}, the collector accepted its status sample\n`);
    return 0;
  } catch (err) {
    return fail(`cannot reach the collector: ${(err as Error).message}`);
  } finally {
    client.close();
  }
}

function fail(message: string): number {
  process.stderr.write(`update-check: ${message}\n`);
  return 1;
}
