// `canhgac-agent enroll`: trades a one-time code for this agent's token, once, and stores it.
import { hostname, platform, release } from 'node:os';
import { PATHS, VERSION, type EnrollResponse } from '../protocol/index.ts';
import { CollectorClient } from './collector-client.ts';
import { writeToken } from './token-store.ts';

export class EnrollError extends Error {}

/** Exchange a one-time code for this agent's token and store it (mode 0600). */
export async function enroll(opts: { collectorUrl: string; code: string; tokenFile: string; ca?: string }): Promise<EnrollResponse> {
  const client = new CollectorClient(opts.collectorUrl, { ca: opts.ca, timeoutMs: 15_000 });
  try {
    const res = await client.postJson(PATHS.enroll, {
      code: opts.code.trim(),
      hostname: hostname(),
      version: VERSION,
      os: `${platform()} ${release()}`,
    });
    if (res.status !== 200) {
      const msg = (res.body as { message?: string } | undefined)?.message ?? `HTTP ${res.status}`;
      throw new EnrollError(`the collector refused the enrolment code: ${msg}`);
    }
    const body = res.body as EnrollResponse;
    writeToken(opts.tokenFile, body.token);
    return body;
  } finally {
    client.close();
  }
}
