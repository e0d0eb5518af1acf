// The agent's side of the command channel over HTTP: long polls for commands and posted results,
// whose samples are validated and stored like an ingest batch.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import {
  AGENT_CHECKS_HEADER,
  COMMAND_POLL_MAX_WAIT_SECONDS,
  CommandPollQuery,
  CommandPollResponse,
  CommandResult,
  CommandResultResponse,
  ErrorResponse,
  PATHS,
  type AgentCommand,
} from '../../../protocol/index.ts';
import { CommandHub } from '../../agent-commands/hub.ts';
import { prepareBatch } from '../../ingest/ingest.ts';
import type { AgentRow } from '../../state/agents.ts';
import { finishCommand, hasPendingCommands, recordPoll, sweepCommands, takeCommands } from '../../state/commands.ts';
import type { CollectorServices } from '../services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Wake-ups of the command channel; routes that queue commands use it (see videoconf.ts). */
    commandHub: CommandHub;
    /** What is pushed to agents at their polls rather than queued (a configuration: routes/fleet.ts). */
    commandPushers: CommandPusher[];
  }
}

/**
 * Something handed to an agent at its poll, decided from what the agent says it runs (poll headers)
 * rather than queued in advance, and told of the answers.
 */
export interface CommandPusher {
  /** `polledAt`: when this poll arrived (a held poll is asked again when it wakes, with the same time). */
  poll(agent: AgentRow, headers: IncomingHttpHeaders, polledAt: number): Promise<AgentCommand[]>;
  /** `headers`: the result's own, which carry what the agent runs now (its state after this command). */
  result(agent: AgentRow, id: string, result: CommandResult, headers: IncomingHttpHeaders): Promise<void>;
}

const CHECK_TYPE = /^[a-z0-9_-]{1,64}$/;
const SWEEP_MS = 60_000;

/** What the agent says it runs, from its poll header; anything odd is dropped, not trusted. */
export function parseCheckTypes(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return [...new Set(text.split(',').map((t) => t.trim()).filter((t) => CHECK_TYPE.test(t)))].slice(0, 64).sort();
}

/**
 * The agent side of the command channel: GET polls (held up to `wait` seconds when there is nothing
 * to do) and POST results. Registered with fastify-plugin so `app.commandHub` is visible to siblings.
 */
export default fp(async function agentCommandRoutes(app: FastifyInstance, opts: { services: CollectorServices; window: { maxAgeMs: number; maxFutureMs: number } }) {
  const { state } = opts.services;
  const hub = new CommandHub();
  app.decorate('commandHub', hub);
  app.decorate('commandPushers', []);
  const pushed = async (agent: AgentRow, headers: IncomingHttpHeaders, polledAt: number) => (await Promise.all(app.commandPushers.map((p) => p.poll(agent, headers, polledAt)))).flat();
  /** The newest poll of each agent, and how to end it: an agent polls one at a time, so an older poll still held is a dead one. */
  const newest = new Map<string, { poll: number; end: AbortController }>();
  let polls = 0;
  const sweeper = setInterval(() => sweepCommands(state).catch((err: unknown) => app.log.warn({ err }, 'command sweep failed')), SWEEP_MS);
  sweeper.unref();
  // Held polls must not keep a closing server waiting for their timers.
  app.addHook('preClose', async () => {
    clearInterval(sweeper);
    hub.close();
  });

  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    PATHS.agentCommands,
    // Every agent polls about three times a minute: a log line per poll would be noise (and the biggest cost of an idle fleet).
    { preHandler: app.requireAgent, logLevel: 'warn', schema: { querystring: CommandPollQuery, response: { 200: CommandPollResponse, 401: ErrorResponse } } },
    async (request, reply) => {
      const agent = request.agent!;
      const poll = ++polls;
      // A poll of this agent still held here is one whose agent went away unseen (restarted behind a
      // proxy that keeps the connection, or a NAT that dropped it): it ends now and takes nothing. Only
      // here: a wake-up through the hub would reach the other collectors, and their polls are not dead.
      newest.get(agent.id)?.end.abort();
      const end = new AbortController();
      newest.set(agent.id, { poll, end });
      try {
        return { commands: await answerPoll(agent, request.headers, Number(request.query.wait ?? 0), reply.raw, end) };
      } finally {
        if (newest.get(agent.id)?.poll === poll) newest.delete(agent.id);
      }
    },
  );

  /** What one poll takes: pushed and queued work now, or after waiting up to `wait` seconds for some. */
  async function answerPoll(agent: AgentRow, headers: IncomingHttpHeaders, wait: number, raw: ServerResponse, end: AbortController): Promise<AgentCommand[]> {
    const polledAt = Date.now();
    await recordPoll(state, agent.id, parseCheckTypes(headers[AGENT_CHECKS_HEADER]));
    // Most polls find nothing queued: a read, rather than takeCommands' write transaction, says so.
    const queued = async () => ((await hasPendingCommands(state, agent.id)) ? takeCommands(state, agent.id) : []);
    const commands = [...(await pushed(agent, headers, polledAt)), ...(await queued())];
    const waitMs = Math.min(wait, COMMAND_POLL_MAX_WAIT_SECONDS) * 1000;
    if (commands.length > 0 || waitMs <= 0) return commands;
    const onClose = () => end.abort();
    raw.once('close', onClose);
    // The check after registering closes the gap between the first look and the wait.
    const waiting = hub.waitForAgentWork(agent.id, waitMs, end.signal);
    if (await hasPendingCommands(state, agent.id)) hub.wakeAgent(agent.id);
    await waiting;
    raw.off('close', onClose);
    // A poll whose agent went away, or that a newer poll of the same agent ended, takes nothing: the
    // commands stay pending for the poll that is really there.
    if (end.signal.aborted) return [];
    return [...(await pushed(agent, headers, polledAt)), ...(await queued())];
  }

  r.post(
    PATHS.agentCommandResult,
    {
      preHandler: app.requireAgent,
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: CommandResult,
        response: { 200: CommandResultResponse, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const agent = request.agent!;
      const { accepted, rejected } = prepareBatch(agent, request.body.samples, opts.window);
      const outcome = await finishCommand(state, agent.id, request.params.id, { ...request.body, samples: accepted, rejected: rejected.length });
      if (outcome === 'unknown') return reply.code(404).send({ error: 'not_found', message: `no command ${request.params.id} for this agent` });
      if (outcome === 'finished') return reply.code(409).send({ error: 'conflict', message: `command ${request.params.id} is already finished or expired` });
      hub.resultArrived(request.params.id);
      for (const p of app.commandPushers) await p.result(agent, request.params.id, request.body, request.headers);
      return { accepted: accepted.length, rejected };
    },
  );
});
