// The agent's end of central configuration: the checks of its profile, judged against the local file,
// applied to the running scheduler without a restart, kept on disk, and reported in every poll.
import { AGENT_CONFIG_HEADER, APPLY_CONFIG_KIND, formatConfigHeader, NO_CONFIG_HASH, type AgentConfigState, type ApplyConfigPayload } from '../../protocol/index.ts';
import type { AgentConfig, CheckEntry } from '../config.ts';
import type { Logger } from '../log.ts';
import { judgeRemoteConfig } from './judge.ts';
import type { PushedKind, PushedOutcome } from './pushed.ts';
import { readRemoteConfig, writeRemoteConfig } from './store.ts';

export interface RemoteConfigOptions {
  log: Logger;
  /** remote-config.json (store.ts). */
  file: string;
  /** Puts a new set of checks in force (Scheduler.replace). */
  apply: (checks: CheckEntry[]) => void;
}

/**
 * `apply-config`: what the collector's profile asks this agent to run. The local file stays
 * authoritative: it alone names the collector, token, CA and outbox (a payload holds only checks), its
 * `remoteConfig: false` turns this off, its `remotePolicy` bounds what a profile may use, reach and read,
 * and a local check wins over a remote one of the same name. A refused configuration leaves the one
 * in force running.
 */
export class RemoteConfig implements PushedKind {
  readonly kind = APPLY_CONFIG_KIND;
  private state: AgentConfigState;
  private remote: CheckEntry[] = [];

  constructor(
    private readonly local: AgentConfig,
    private readonly opts: RemoteConfigOptions,
  ) {
    this.state = { off: !local.remoteConfig, hash: NO_CONFIG_HASH };
  }

  /** What runs at start: the local checks, and the last good remote ones when the local file still allows them. */
  startChecks(): CheckEntry[] {
    if (this.state.off) return this.local.checks;
    const { payload, problem } = readRemoteConfig(this.opts.file);
    if (problem) this.opts.log.warn('the stored configuration from the collector cannot be used; starting with the local checks', { file: this.opts.file, problem });
    if (payload === undefined) return this.local.checks;
    const verdict = judgeRemoteConfig(payload, this.local);
    if (!verdict.ok) {
      // The local file changed since (a narrower policy): the collector will send it again and hear why not.
      this.opts.log.warn('the stored configuration from the collector is refused by the local file now; starting with the local checks', { reasons: verdict.reasons.slice(0, 10) });
      return this.local.checks;
    }
    this.state = verdict.state;
    this.remote = verdict.remote;
    this.opts.log.info('starting with the last configuration from the collector', { profile: verdict.state.profile, version: verdict.state.version, checks: verdict.remote.length });
    return verdict.checks;
  }

  /** What this agent runs of the collector's configuration, for the console. */
  current(): { state: AgentConfigState; remote: readonly CheckEntry[] } {
    return { state: { ...this.state }, remote: this.remote };
  }

  headers(): Record<string, string> {
    return { [AGENT_CONFIG_HEADER]: formatConfigHeader(this.state) };
  }

  async handle(payload: unknown): Promise<PushedOutcome> {
    const log = this.opts.log;
    if (this.state.off) return { status: 'unsupported', message: 'remote configuration is turned off in the local file (remoteConfig: false)', samples: [] };
    const verdict = judgeRemoteConfig(payload, this.local);
    const what = `profile ${verdict.state.profile ?? '-'} version ${verdict.state.version ?? '-'}`;
    if (!verdict.ok) {
      this.state = { ...this.state, rejected: verdict.state.hash };
      log.warn('configuration from the collector refused; the one in force keeps running', { profile: verdict.state.profile, version: verdict.state.version, reasons: verdict.reasons.slice(0, 20) });
      const more = verdict.reasons.length > 1 ? ` (and ${verdict.reasons.length - 1} more)` : '';
      return { status: 'failed', message: `${what} refused: ${verdict.reasons[0]}${more}`.slice(0, 1000), reasons: verdict.reasons, samples: [] };
    }
    if (verdict.state.hash !== this.state.hash) {
      this.opts.apply(verdict.checks);
      this.remote = verdict.remote;
      log.info('configuration from the collector applied', { profile: verdict.state.profile, version: verdict.state.version, checks: verdict.remote.length, overridden: verdict.overridden });
      try {
        writeRemoteConfig(this.opts.file, payload as ApplyConfigPayload);
      } catch (err) {
        log.warn('cannot store the configuration from the collector; a restart while the collector is out of reach would start without it', { file: this.opts.file, error: (err as Error).message });
      }
    }
    this.state = verdict.state;
    const overridden = verdict.overridden.length ? `; the local file's own ${verdict.overridden.join(', ')} kept instead` : '';
    return { status: 'done', message: `${what} applied: ${verdict.remote.length} check(s)${overridden}`.slice(0, 1000), samples: [] };
  }
}
