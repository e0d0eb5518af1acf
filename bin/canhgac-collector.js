#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx; the single executable (deploy/) bundles them instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../collector/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
