// The release store on both engines: a build is stored once (file and row), checked against a key when
// given one; listed newest version first; a rollout needs a stored version, replaces its channel's
// previous one, and keeps its agencies sorted and unique.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { generateReleaseKey, readPrivateKey, ReleaseInputError, signRelease } from './signing.ts';
import { addRelease, addRollout, currentRollouts, getRelease, listReleases, releaseFile, storedFile } from './store.ts';

const work = mkdtempSync(join(tmpdir(), 'canhgac-release-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A build file, its signature file, and the public key's file. */
async function signedBuild(content: string): Promise<{ file: string; signatureFile: string; publicKey: string }> {
  const dir = join(work, `b${++n}`);
  const keyFile = join(work, `key${n}`);
  const { publicLine } = generateReleaseKey(keyFile);
  const publicKey = `${keyFile}.pub.txt`;
  writeFileSync(publicKey, publicLine + '\n');
  const file = `${dir}-build`;
  writeFileSync(file, content);
  const signatureFile = `${file}.sig`;
  writeFileSync(signatureFile, (await signRelease(readPrivateKey(keyFile), file)).signature + '\n');
  return { file, signatureFile, publicKey };
}

describeEachStateDriver('release store', (open) => {
  it('stores a build once, with its file; a wrong signature or a bad name stores nothing', async () => {
    const state = await open();
    const dataDir = join(work, `data${++n}`);
    const b = await signedBuild('build one');
    const stored = await addRelease(state, dataDir, { ...b, version: '0.2.0', platform: 'linux-x64', actor: 'tuan' }, 5000);
    expect(stored).toMatchObject({ version: '0.2.0', platform: 'linux-x64', size: 9, addedAt: new Date(5000).toISOString(), addedBy: 'tuan' });
    expect(await getRelease(state, '0.2.0', 'linux-x64')).toEqual(stored);
    expect(await getRelease(state, '0.2.0', 'win32-x64')).toBeUndefined();
    expect((await storedFile(state, dataDir, '0.2.0', 'linux-x64'))?.file).toBe(releaseFile(dataDir, '0.2.0', 'linux-x64'));
    expect(await storedFile(state, dataDir, '0.3.0', 'linux-x64')).toBeUndefined();
    await expect(addRelease(state, dataDir, { ...b, version: '0.2.0', platform: 'linux-x64', actor: 'tuan' })).rejects.toThrow(/stored already/);
    const other = await signedBuild('build two');
    await expect(addRelease(state, dataDir, { ...other, publicKey: b.publicKey, version: '0.3.0', platform: 'linux-x64', actor: 'tuan' })).rejects.toThrow(ReleaseInputError);
    await expect(addRelease(state, dataDir, { ...other, version: '0.3', platform: 'linux-x64', actor: 'tuan' })).rejects.toThrow(/--version/);
    expect((await listReleases(state)).map((r) => r.version)).toEqual(['0.2.0']);
    // A row whose file is gone is not served.
    rmSync(releaseFile(dataDir, '0.2.0', 'linux-x64'));
    expect(await storedFile(state, dataDir, '0.2.0', 'linux-x64')).toBeUndefined();
  });

  it('lists newest version first (by number, not text), then by platform', async () => {
    const state = await open();
    const dataDir = join(work, `data${++n}`);
    const b = await signedBuild('x');
    for (const [version, platform] of [['0.9.0', 'linux-x64'], ['0.10.0', 'win32-x64'], ['0.10.0', 'linux-x64'], ['0.2.0', 'linux-arm64']]) {
      await addRelease(state, dataDir, { ...b, version, platform, actor: 'tuan' });
    }
    expect((await listReleases(state)).map((r) => `${r.version} ${r.platform}`)).toEqual(['0.10.0 linux-x64', '0.10.0 win32-x64', '0.9.0 linux-x64', '0.2.0 linux-arm64']);
  });

  it('a rollout needs a stored version and replaces its channel’s previous one; agencies sorted, once each', async () => {
    const state = await open();
    const dataDir = join(work, `data${++n}`);
    const b = await signedBuild('x');
    await expect(addRollout(state, { version: '0.2.0' }, 'tuan')).rejects.toThrow(/no stored release 0.2.0/);
    expect(await currentRollouts(state)).toEqual(new Map());
    await addRelease(state, dataDir, { ...b, version: '0.2.0', platform: 'linux-x64', actor: 'tuan' });
    await addRelease(state, dataDir, { ...b, version: '0.3.0', platform: 'linux-x64', actor: 'tuan' });
    const first = await addRollout(state, { version: '0.2.0' }, 'tuan', 1000);
    expect(first).toEqual({ id: first.id, version: '0.2.0', channel: 'stable', percent: 100, agencies: [], createdAt: new Date(1000).toISOString(), createdBy: 'tuan' });
    const pilot = await addRollout(state, { version: '0.3.0', channel: 'pilot', percent: 10, agencies: ['so-y-te', 'so-tu-phap', 'so-y-te'] }, 'an', 2000);
    expect(pilot).toMatchObject({ channel: 'pilot', percent: 10, agencies: ['so-tu-phap', 'so-y-te'] });
    const next = await addRollout(state, { version: '0.3.0', percent: 50 }, 'an', 3000);
    expect(next.id).toBeGreaterThan(pilot.id);
    const current = await currentRollouts(state);
    expect([...current.keys()].sort()).toEqual(['pilot', 'stable']);
    expect(current.get('stable')).toEqual(next);
    expect(current.get('pilot')).toEqual(pilot);
  });
});
