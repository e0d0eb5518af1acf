// A check's code is loaded only when a config uses it: the registry holds each check's light spec
// (config schema, defaults, measurements, validation) and a loader for the code that runs it.
import type { TObject } from 'typebox';
import type { CheckDefinition } from './types.ts';

/*
 * Why: the agent's idle memory. Importing every check at start pulled in systeminformation, net-snmp,
 * an HTML parser and the OUI table for checks most agencies never configure. A spec module imports
 * only typebox, protocol/ and pure target-syntax helpers, so validating a config loads no probe code
 * and touches no network; the check's index.ts (and whatever it imports) is loaded on its first run.
 */

/** Everything about a check that validating a config needs: its definition without `run`. */
export type CheckSpec<S extends TObject = TObject> = Omit<CheckDefinition<S>, 'run'>;

/** Keeps the types of `validate` tied to the schema, like defineCheck. */
export function defineSpec<S extends TObject>(spec: CheckSpec<S>): CheckSpec<S> {
  return spec;
}

const loaded = new Set<string>();

/** The check types whose code this process has loaded so far (a load counter for tests and logs). */
export function loadedCheckTypes(): string[] {
  return [...loaded].sort();
}

/**
 * A definition whose `run` loads the check's module on first use and then delegates to it. `load`
 * must be a literal `import('./x/index.ts')` so that esbuild still bundles the module into the
 * single executable (it turns the import into a lazily evaluated wrapper inside the one file).
 */
export function lazyCheck<S extends TObject>(spec: CheckSpec<S>, load: () => Promise<CheckDefinition<S>>): CheckDefinition<S> {
  let pending: Promise<CheckDefinition<S>> | undefined;
  const definition = (): Promise<CheckDefinition<S>> =>
    (pending ??= load().then(
      (def) => {
        if (def.type !== spec.type) throw new Error(`the ${spec.type} loader returned the ${def.type} check`);
        loaded.add(spec.type);
        return def;
      },
      (err: unknown) => {
        // A failed load (a damaged install) is retried at the next run rather than remembered.
        pending = undefined;
        throw err;
      },
    ));
  return { ...spec, run: async (config, ctx) => (await definition()).run(config, ctx) };
}
