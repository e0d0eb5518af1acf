// Entry of the bundled agent (the single executable and the CommonJS bundle): no tsx, no node_modules.
import { main } from '../../agent/cli.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`canhgac-agent: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
