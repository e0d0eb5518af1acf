// Signed self-update over HTTP: agents download a stored build (resumable with Range); operators see the
// builds, the rollouts and the fleet by version, and province-wide admins start a rollout.
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorResponse, RELEASE_PATHS, RELEASE_PLATFORM_PATTERN, RELEASE_VERSION_PATTERN, ReleaseList, RolloutEntry, RolloutRequest, UpdateAgentList } from '../../../protocol/index.ts';
import { ReleasePusher } from '../../releases/pusher.ts';
import { ReleaseInputError } from '../../releases/signing.ts';
import { addRollout, currentRollouts, listReleases, storedFile } from '../../releases/store.ts';
import { listAgents } from '../../state/agents.ts';
import { actorOf, recordAudit } from '../../state/audit.ts';
import type { CollectorServices } from '../services.ts';

const DownloadParams = Type.Object({ version: Type.String({ pattern: RELEASE_VERSION_PATTERN }), platform: Type.String({ pattern: RELEASE_PLATFORM_PATTERN }) });
const AgentsQuery = Type.Object({ agency: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

/** `bytes=N-` (what agents send to resume), as the first byte wanted; undefined for no Range; null for a range this server does not serve. */
export function rangeStart(header: string | undefined, size: number): number | undefined | null {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{1,12})-$/.exec(header.trim());
  if (!m) return null;
  const start = Number(m[1]);
  return start < size ? start : null;
}

export default async function releaseRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const { state, config } = opts.services;
  const dataDir = config!.dataDir;
  const pusher = new ReleasePusher(state);
  app.commandPushers.push({ poll: (agent, headers, polledAt) => pusher.poll(agent, headers, polledAt), result: (agent, id, result, headers) => pusher.result(agent, id, result, headers) });
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(RELEASE_PATHS.agentDownload, { preHandler: app.requireAgent, schema: { params: DownloadParams } }, async (request, reply) => {
    const { version, platform } = request.params;
    const found = await storedFile(state, dataDir, version, platform);
    if (!found) return reply.code(404).send({ error: 'not_found', message: `no stored build ${version} for ${platform}` });
    const size = found.release.size;
    const start = rangeStart(request.headers.range, size);
    if (start === null) return reply.code(416).header('content-range', `bytes */${size}`).send({ error: 'range_not_satisfiable', message: `this server serves bytes=N- with N below ${size}` });
    reply.header('content-type', 'application/octet-stream').header('accept-ranges', 'bytes').header('x-content-sha256', found.release.sha256);
    if (start === undefined) return reply.header('content-length', String(size)).send(createReadStream(found.file));
    return reply
      .code(206)
      .header('content-range', `bytes ${start}-${size - 1}/${size}`)
      .header('content-length', String(size - start))
      .send(createReadStream(found.file, { start }));
  });

  r.get(RELEASE_PATHS.releases, { preHandler: app.requireRole('viewer'), schema: { response: { 200: ReleaseList } } }, async () => ({
    releases: (await listReleases(state)).map(({ signature: _s, ...rest }) => rest),
    rollouts: [...(await currentRollouts(state)).values()],
  }));

  r.post(RELEASE_PATHS.rollout, { preHandler: app.requireRole('admin'), schema: { body: RolloutRequest, response: { 200: RolloutEntry, 400: ErrorResponse, 403: ErrorResponse } } }, async (request, reply) => {
    // A build reaches every agency: province-wide administrators only.
    if (request.principal?.agency) return reply.code(403).send({ error: 'forbidden', message: 'releases are rolled out by province-wide administrators only' });
    const unknown = (request.body.agencies ?? []).filter((a) => !config!.agencies.some((c) => c.id === a));
    if (unknown.length > 0) return reply.code(400).send({ error: 'bad_request', message: `unknown agency ${unknown.join(', ')}` });
    try {
      const entry = await addRollout(state, request.body, actorOf(request.principal).actor);
      await recordAudit(state.db, { ...actorOf(request.principal), action: 'release_rollout', target: entry.version, address: request.ip, detail: `channel ${entry.channel}, ${entry.percent}%${entry.agencies.length ? `, agencies ${entry.agencies.join(',')}` : ''}` });
      pusher.rolloutChanged();
      app.commandHub.wakeAllAgents();
      return entry;
    } catch (err) {
      if (err instanceof ReleaseInputError) return reply.code(400).send({ error: 'bad_request', message: err.message });
      throw err;
    }
  });

  r.get(RELEASE_PATHS.agents, { preHandler: app.requireRole('viewer'), schema: { querystring: AgentsQuery, response: { 200: UpdateAgentList } } }, async (request) => {
    // An agency-scoped principal sees its own agency whatever it asks for.
    const agency = request.principal?.agency ?? request.query.agency;
    return await pusher.statuses(await listAgents(opts.services.state, agency ? { agency } : {}));
  });
}
