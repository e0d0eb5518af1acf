// Central check configuration over HTTP: profiles (read by operators, changed by province-wide admins
// only), each agent's state, a reload of the files; and the pusher that hands agents their config.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ConfigError,
  ErrorResponse,
  FLEET_PATHS,
  FleetAgentList,
  FleetReloadResponse,
  PROFILE_NAME_PATTERN,
  ProfileDetail,
  ProfileSummary,
  PutProfileRequest,
  type ProfileSummary as Summary,
} from '../../../protocol/index.ts';
import type { FleetService } from '../../fleet/service.ts';
import { putProfile, syncProfiles, type Who } from '../../fleet/sync.ts';
import { getAgency } from '../../state/agencies.ts';
import { listAgents } from '../../state/agents.ts';
import { actorOf } from '../../state/audit.ts';
import { profileHistory } from '../../state/fleet.ts';
import type { CollectorServices } from '../services.ts';

/** How often the state database is looked at for versions recorded by another process (`config push`). */
const REFRESH_MS = 2000;

const NameParams = Type.Object({ name: Type.String({ pattern: PROFILE_NAME_PATTERN }) });
const AgentsQuery = Type.Object({ agency: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });
const InvalidProfile = Type.Object({ error: Type.String(), message: Type.String(), issues: Type.Optional(Type.Array(Type.Object({ file: Type.String(), path: Type.String(), message: Type.String() }))) });
const Changed = Type.Object({ changed: FleetReloadResponse.properties.changed, profile: Type.Optional(ProfileSummary) });

/** A scoped principal sees a profile assigned to its agency or to one of its agents; any other is "not found". */
function visible(s: Summary, agency: string | undefined, agentsOfAgency: Set<string>): boolean {
  return !agency || s.agencies.includes(agency) || s.agents.some((a) => agentsOfAgency.has(a));
}


/** The pusher that hands agents their configuration, the watch on recorded versions, and the routes. */
export default async function fleetRoutes(app: FastifyInstance, opts: { services: CollectorServices }) {
  const fleet = opts.services.fleet as FleetService;
  app.commandPushers.push({ poll: (agent, headers) => fleet.poll(agent, headers), result: (agent, id, result) => fleet.result(agent, id, result) });
  const timer = setInterval(() => {
    fleet.refresh().then(
      (changed) => changed && app.commandHub.wakeAllAgents(),
      (err: unknown) => app.log.warn({ err }, 'could not read the recorded profile versions'),
    );
  }, REFRESH_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
  readRoutes(app, opts.services, fleet);
  changeRoutes(app, opts.services, fleet);
}

/** Profiles and agents' states for operators; a scoped principal sees its own agency's only. */
function readRoutes(app: FastifyInstance, { state }: CollectorServices, fleet: FleetService): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // Read only for a scoped principal: the others see every profile.
  const agentsOf = async (agency: string | undefined) => new Set(agency ? (await listAgents(state, { agency })).map((a) => a.id) : []);

  r.get(FLEET_PATHS.profiles, { preHandler: app.requireRole('viewer'), schema: { response: { 200: Type.Object({ profiles: Type.Array(ProfileSummary) }) } } }, async (request) => {
    const agency = request.principal?.agency;
    const own = await agentsOf(agency);
    return { profiles: fleet.current.summaries().filter((s) => visible(s, agency, own)) };
  });

  r.get(FLEET_PATHS.profile, { preHandler: app.requireRole('viewer'), schema: { params: NameParams, response: { 200: ProfileDetail, 404: ErrorResponse } } }, async (request, reply) => {
    const { name } = request.params;
    const agency = request.principal?.agency;
    const s = fleet.current.summary(name);
    if (!s || !visible(s, agency, await agentsOf(agency))) return reply.code(404).send({ error: 'not_found', message: `no profile ${name}` });
    const history = await profileHistory(state, name);
    return {
      profile: s,
      yaml: history.find((h) => h.version === s.version)?.body ?? '',
      versions: history.map((h) => ({ version: h.version, hash: h.hash, at: new Date(h.at).toISOString(), by: h.actor, deleted: h.deleted })),
    };
  });

  r.get(FLEET_PATHS.agents, { preHandler: app.requireRole('viewer'), schema: { querystring: AgentsQuery, response: { 200: FleetAgentList, 404: ErrorResponse } } }, async (request, reply) => {
    const requested = request.query.agency;
    const scoped = request.principal?.agency;
    // Another agency's id gets exactly the answer of one that does not exist.
    if (requested && ((scoped && requested !== scoped) || !(await getAgency(state, requested)))) return reply.code(404).send({ error: 'not_found', message: `no agency "${requested}"` });
    return { agents: await fleet.statuses(await listAgents(state, { agency: scoped ?? requested })) };
  });
}

/**
 * Changes: a profile reaches every agency it names, so province-wide administrators only; each change is
 * checked with the other files before anything is written, then recorded, and the agents are woken.
 */
function changeRoutes(app: FastifyInstance, { state, config }: CollectorServices, fleet: FleetService): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const who = (request: FastifyRequest): Who => ({ ...actorOf(request.principal), address: request.ip });
  const provinceWide = (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.principal?.agency) return true;
    reply.code(403).send({ error: 'forbidden', message: 'profiles are changed by province-wide administrators only' });
    return false;
  };
  const applied = async <T>(change: () => Promise<T>): Promise<T> => {
    const out = await change();
    if (await fleet.refresh()) app.commandHub.wakeAllAgents();
    return out;
  };
  const invalid = (reply: FastifyReply, err: ConfigError) => {
    const errors = 'errors' in err ? (err.errors as ConfigError[]) : [err];
    return reply.code(400).send({ error: 'invalid_profile', message: err.message, issues: errors.flatMap((e) => e.issues.map((i) => ({ file: e.file, ...i }))) });
  };
  r.put(
    FLEET_PATHS.profile,
    { preHandler: app.requireRole('admin'), schema: { params: NameParams, body: PutProfileRequest, response: { 200: Changed, 400: InvalidProfile, 403: ErrorResponse, 409: ErrorResponse } } },
    async (request, reply) => {
      if (!provinceWide(request, reply)) return reply;
      const { name } = request.params;
      try {
        const changed = await applied(() => putProfile(state, config!, name, request.body.yaml, who(request)));
        return { changed, profile: fleet.current.summary(name) };
      } catch (err) {
        if (err instanceof ConfigError) return invalid(reply, err);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
          return reply.code(409).send({ error: 'not_writable', message: `cannot write ${config!.fleet.profilesDir} (${code}); edit the file there and run canhgac-collector config push` });
        }
        throw err;
      }
    },
  );

  r.delete(FLEET_PATHS.profile, { preHandler: app.requireRole('admin'), schema: { params: NameParams, response: { 200: Changed, 400: InvalidProfile, 403: ErrorResponse, 404: ErrorResponse } } }, async (request, reply) => {
    if (!provinceWide(request, reply)) return reply;
    const { name } = request.params;
    if (!fleet.current.summary(name)) return reply.code(404).send({ error: 'not_found', message: `no profile ${name}` });
    try {
      return { changed: await applied(() => putProfile(state, config!, name, null, who(request))) };
    } catch (err) {
      if (err instanceof ConfigError) return invalid(reply, err);
      throw err;
    }
  });

  r.post(FLEET_PATHS.reload, { preHandler: app.requireRole('admin'), schema: { response: { 200: FleetReloadResponse, 400: InvalidProfile, 403: ErrorResponse } } }, async (request, reply) => {
    if (!provinceWide(request, reply)) return reply;
    try {
      return { changed: await applied(() => syncProfiles(state, config!, who(request))) };
    } catch (err) {
      if (err instanceof ConfigError) return invalid(reply, err);
      throw err;
    }
  });
}
