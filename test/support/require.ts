// How a test that needs root or a system tool declares it: skipped with a printed reason outside CI,
// a failure in CI.
import { spawnSync } from 'node:child_process';
import { postgresBinDir } from '../../scripts/lib/postgres.ts';

export const inCI = process.env.CI === 'true';

/**
 * Why a test cannot run here, or undefined when it can. Outside CI the test is skipped with the
 * reason printed; in CI (CI=true) a missing tool or root is a failure, never a silent skip.
 */
export function missing(requirements: { root?: boolean; commands?: string[]; postgres?: boolean }): string | undefined {
  const reasons: string[] = [];
  if (requirements.root && process.getuid?.() !== 0) reasons.push('needs root');
  for (const cmd of requirements.commands ?? []) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) reasons.push(`needs \`${cmd}\``);
  }
  // Debian keeps initdb and postgres off PATH, under /usr/lib/postgresql/<version>/bin.
  if (requirements.postgres && !postgresBinDir()) reasons.push('needs PostgreSQL (postgresql-15)');
  if (reasons.length === 0) return undefined;
  const reason = reasons.join(', ');
  if (inCI) throw new Error(`CI=true and this test cannot run: ${reason}. .ci/run must install it.`);
  console.warn(`SKIPPED: ${reason}`);
  return reason;
}
