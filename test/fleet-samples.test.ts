// The deploy samples of central configuration fit together: collector.sample.yaml with its profile
// directory checks, and the profile as so-y-te's agent gets it passes deploy/agent.sample.yaml's
// remotePolicy, its local `gateway` check winning over the profile's.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeRemoteConfig } from '../agent/remote/judge.ts';
import { loadAgentConfig } from '../agent/config.ts';
import { loadCollectorConfig } from '../collector/config.ts';
import { FleetModel } from '../collector/fleet/model.ts';
import { checkProfiles } from '../collector/fleet/sync.ts';

const DEPLOY = join(import.meta.dirname, '..', 'deploy');

describe('deploy samples: collector.sample.yaml, profiles/, agent.sample.yaml', () => {
  it('check, fill in and pass the sample agent’s policy', () => {
    const collector = loadCollectorConfig(join(DEPLOY, 'collector.sample.yaml'));
    const { profiles, warnings } = checkProfiles(collector);
    expect([profiles.map((p) => p.name), warnings]).toEqual([['so-nganh'], []]);
    const model = new FleetModel(
      profiles.map((p) => ({ name: p.name, version: 1, hash: p.hash, body: p.text, deleted: false, at: 0, actor: 'test', actorKind: 'cli' })),
      collector.agencies,
    );
    const desired = model.desired({ id: 'pc-so-y-te', agency: 'so-y-te' });
    expect(desired.payload.checks[0]).toMatchObject({ targets: ['https://soyte.travinh.example.vn/'] });
    const verdict = judgeRemoteConfig(desired.payload, loadAgentConfig(join(DEPLOY, 'agent.sample.yaml')));
    if (!verdict.ok) throw new Error(verdict.reasons.join('\n'));
    expect(verdict.overridden).toEqual(['gateway']);
    expect(verdict.remote.map((e) => e.config.name)).toEqual(['cong-thong-tin', 'chung-thu-cong', 'gateway', 'collector']);
  });
});
