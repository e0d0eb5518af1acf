// The child process of agent-module-graph.ts: the agent's CLI as bin/canhgac-agent.js runs it, then
// the check types agent/checks/lazy.ts counted as loaded, written where the parent asked.
import { writeFileSync } from 'node:fs';
import { main } from '../../agent/cli.ts';
import { loadedCheckTypes } from '../../agent/checks/lazy.ts';

process.exitCode = await main(process.argv.slice(2));
if (process.env.CANHGAC_LOADED_CHECKS) writeFileSync(process.env.CANHGAC_LOADED_CHECKS, JSON.stringify(loadedCheckTypes()));
