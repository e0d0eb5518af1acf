// `release keygen|sign|add|list|rollout`: signed agent builds. keygen and sign run on the offline machine
// that holds the release key (no collector config needed); add, list and rollout work on the collector.
import { writeFileSync } from 'node:fs';
import { RELEASE_CHANNEL_PATTERN } from '../../protocol/index.ts';
import { addRelease, addRollout, listReleases, currentRollouts } from '../releases/store.ts';
import { generateReleaseKey, readPrivateKey, ReleaseInputError, signRelease } from '../releases/signing.ts';
import { cliActor, cliAudit, loadConfig, parseOptions, printTable, stdout, UsageError, withState, type CommandGroup, type Out } from './common.ts';

export const RELEASE_USAGE = `  canhgac-collector release keygen --out KEYFILE      a new Ed25519 release key (KEYFILE, mode 0600, stays offline) and its public line for agents
  canhgac-collector release sign --key KEYFILE --file BUILD [--out BUILD.sig]
                                                      sign an agent build (on the machine that holds the key)
  canhgac-collector release add [--config FILE] --file BUILD --signature BUILD.sig --version V [--platform linux-x64] [--public-key KEY]
                                                      store a signed build on the collector (checked against KEY when given)
  canhgac-collector release list [--config FILE]      stored builds and the rollout of each channel
  canhgac-collector release rollout [--config FILE] --version V [--channel stable] [--percent 100] [--agencies a,b]
                                                      who should run which version; agents update at their next poll
`;

const OPTIONS = {
  out: { type: 'string' },
  key: { type: 'string' },
  file: { type: 'string' },
  signature: { type: 'string' },
  version: { type: 'string' },
  platform: { type: 'string' },
  'public-key': { type: 'string' },
  channel: { type: 'string' },
  percent: { type: 'string' },
  agencies: { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof OPTIONS | 'config', string>>;

function need(values: Values, sub: string, names: (keyof typeof OPTIONS)[]): void {
  const missing = names.filter((n) => !values[n]);
  if (missing.length > 0) throw new UsageError(`release ${sub}: ${missing.map((m) => `--${m}`).join(', ')} required`);
}

function allowOnly(values: Values, sub: string, names: string[]): void {
  const stray = Object.keys(values).find((k) => k !== 'config' && !names.includes(k));
  if (stray) throw new UsageError(`release ${sub} does not take --${stray}`);
}

export function releaseKeygen(values: Values, out: Out = stdout): number {
  const { publicLine } = generateReleaseKey(values.out!);
  writeFileSync(`${values.out}.pub`, publicLine + '\n', { mode: 0o644 });
  out(`private key: ${values.out} (mode 0600; keep it offline, never on the collector)\npublic key:  ${values.out}.pub\n`);
  out(`pin it in every agent's config:\n  selfUpdate:\n    publicKey: ${publicLine}\n`);
  return 0;
}

export async function releaseSign(values: Values, out: Out = stdout): Promise<number> {
  const key = readPrivateKey(values.key!);
  const target = values.out ?? `${values.file}.sig`;
  const { signature, sha256, size } = await signRelease(key, values.file!);
  writeFileSync(target, signature + '\n');
  out(`${values.file}: ${size} bytes, sha256 ${sha256}\nsignature: ${target}\n`);
  return 0;
}

export async function releaseAdd(values: Values, out: Out = stdout): Promise<number> {
  const config = loadConfig(values);
  const platform = values.platform ?? `${process.platform}-${process.arch}`;
  const stored = await withState(config, async (state) => {
    const r = await addRelease(state, config.dataDir, { file: values.file!, signatureFile: values.signature!, version: values.version!, platform, publicKey: values['public-key'], actor: cliActor() });
    await cliAudit(state, 'release_add', { target: `${r.version} ${r.platform}`, detail: `sha256 ${r.sha256}` });
    return r;
  });
  out(`release ${stored.version} (${stored.platform}) stored: ${stored.size} bytes, sha256 ${stored.sha256}\n`);
  if (!values['public-key']) out('the signature was not checked here (no --public-key); every agent checks it against the key pinned in its own config\n');
  out(`roll it out with: canhgac-collector release rollout --version ${stored.version} [--channel C] [--percent N] [--agencies a,b]\n`);
  return 0;
}

export async function releaseList(values: Values, out: Out = stdout): Promise<number> {
  const config = loadConfig(values);
  const { releases, rollouts } = await withState(config, async (state) => ({ releases: await listReleases(state), rollouts: [...(await currentRollouts(state)).values()] }));
  if (releases.length === 0) out('no stored releases\n');
  else printTable([['VERSION', 'PLATFORM', 'BYTES', 'SHA256', 'ADDED', 'BY'], ...releases.map((r) => [r.version, r.platform, String(r.size), r.sha256.slice(0, 16), r.addedAt, r.addedBy])], out);
  for (const r of rollouts) out(`rollout ${r.channel}: ${r.version} to ${r.percent}% of ${r.agencies.length > 0 ? `agencies ${r.agencies.join(',')}` : 'every agency'} (${r.createdAt}, ${r.createdBy})\n`);
  return 0;
}

export async function releaseRollout(values: Values, out: Out = stdout): Promise<number> {
  const config = loadConfig(values);
  const percent = values.percent === undefined ? 100 : Number(values.percent);
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new UsageError(`--percent: expected a whole number from 0 to 100, got ${JSON.stringify(values.percent)}`);
  if (values.channel && !new RegExp(RELEASE_CHANNEL_PATTERN).test(values.channel)) throw new UsageError(`--channel: expected a lower-case name such as stable or pilot, got ${JSON.stringify(values.channel)}`);
  const agencies = values.agencies ? values.agencies.split(',').map((a) => a.trim()).filter(Boolean) : undefined;
  const unknown = agencies?.filter((a) => !config.agencies.some((c) => c.id === a)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--agencies: unknown agency ${unknown.join(', ')} (known: ${config.agencies.map((a) => a.id).join(', ')})`);
  const r = await withState(config, async (state) => {
    const entry = await addRollout(state, { version: values.version!, channel: values.channel, percent, agencies }, cliActor());
    await cliAudit(state, 'release_rollout', { target: entry.version, detail: `channel ${entry.channel}, ${entry.percent}%${entry.agencies.length ? `, agencies ${entry.agencies.join(',')}` : ''}` });
    return entry;
  });
  out(`rollout ${r.channel}: ${r.version} to ${r.percent}% of ${r.agencies.length > 0 ? `agencies ${r.agencies.join(',')}` : 'every agency'}; a running collector offers it at the agents' next poll\n`);
  return 0;
}

const SUBS: Record<string, { required: (keyof typeof OPTIONS)[]; optional: (keyof typeof OPTIONS)[]; run: (v: Values) => number | Promise<number> }> = {
  keygen: { required: ['out'], optional: [], run: (v) => releaseKeygen(v) },
  sign: { required: ['key', 'file'], optional: ['out'], run: (v) => releaseSign(v) },
  add: { required: ['file', 'signature', 'version'], optional: ['platform', 'public-key'], run: (v) => releaseAdd(v) },
  list: { required: [], optional: [], run: (v) => releaseList(v) },
  rollout: { required: ['version'], optional: ['channel', 'percent', 'agencies'], run: (v) => releaseRollout(v) },
};

export async function releaseCommand(_command: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS, 1);
  const sub = positionals[0];
  if (!sub || !Object.hasOwn(SUBS, sub)) throw new UsageError(`release: expected ${Object.keys(SUBS).join(', ')}${sub ? `, got "${sub}"` : ''}`);
  const spec = SUBS[sub];
  allowOnly(values as Values, sub, [...spec.required, ...spec.optional]);
  need(values as Values, sub, spec.required);
  try {
    return await spec.run(values as Values);
  } catch (err) {
    if (!(err instanceof ReleaseInputError)) throw err;
    process.stderr.write(`canhgac-collector release ${sub}: ${err.message}\nnothing was ${sub === 'add' ? 'stored' : sub === 'sign' ? 'signed' : 'changed'}\n`);
    return 1;
  }
}

export const releaseGroup: CommandGroup = { commands: ['release'], usage: RELEASE_USAGE, run: releaseCommand };
