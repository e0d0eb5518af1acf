// The list of every check type the agent knows: the one place a new check folder is registered.
import type { CheckDefinition } from './types.ts';
import { hostCheck } from './host/index.ts';
import { pingCheck } from './ping/index.ts';
import { tcpCheck } from './tcp/index.ts';
import { httpCheck } from './http/index.ts';
import { securityCheck } from './security/index.ts';
import { discoveryCheck } from './discovery/index.ts';
import { tlsCheck } from './tls/index.ts';
import { certFileCheck } from './cert_file/index.ts';
import { videoconfCheck } from './videoconf/index.ts';
import { webIntegrityCheck } from './web_integrity/index.ts';
import { authEventsCheck } from './auth_events/index.ts';

/** Every check the agent knows, by its `type` key. A test fails when a folder is missing here. */
export const registry: Record<string, CheckDefinition<any>> = {
  host: hostCheck,
  ping: pingCheck,
  tcp: tcpCheck,
  http: httpCheck,
  security: securityCheck,
  discovery: discoveryCheck,
  tls: tlsCheck,
  cert_file: certFileCheck,
  videoconf: videoconfCheck,
  web_integrity: webIntegrityCheck,
  auth_events: authEventsCheck,
};

export function checkTypes(): string[] {
  return Object.keys(registry).sort();
}
