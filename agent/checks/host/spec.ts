// The host check's light half: its (empty) config schema, defaults and measurements, which the
// config is validated against without loading the check's code.
import { Type } from 'typebox';
import { defineSpec } from '../lazy.ts';

export const hostSpec = defineSpec({
  type: 'host',
  summary: 'CPU, memory, load, uptime and disk use of the machine the agent runs on',
  schema: Type.Object({}),
  defaults: { interval: '60s', timeout: '30s' },
  measurements: ['host', 'host_disk'],
});
