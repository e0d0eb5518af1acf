// What the collector can push to an agent over the command channel (a configuration today; an agent
// build later), as the command poller sees it: a command kind, poll headers and a handler.
import type { CommandResult } from '../../protocol/index.ts';

export type PushedOutcome = Omit<CommandResult, 'startedAt' | 'finishedAt'>;

/**
 * One kind of pushed thing. The agent says in headers of every poll what it runs of it (so the
 * collector sends only what is new and never again what was refused), and applies or refuses a
 * payload, answering with the reasons. Another kind (a signed agent build) sits beside this one.
 */
export interface PushedKind {
  /** The command kind that carries it (protocol/). */
  readonly kind: string;
  /** Headers for the next poll. */
  headers(): Record<string, string>;
  /** Apply or refuse; never throws for a bad payload (that is a refusal with reasons). */
  handle(payload: unknown, signal: AbortSignal): Promise<PushedOutcome>;
  /**
   * Handled beside the command poll rather than in it (a build's download takes minutes): polling and
   * other commands go on meanwhile; one at a time of this kind is the kind's own business.
   */
  readonly background?: boolean;
}
