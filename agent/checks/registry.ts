// The list of every check type the agent knows: the one place a new check folder is registered.
// Each entry is the check's light spec plus a loader of its code (lazy.ts): a check whose type the
// config does not use is never loaded. The loaders stay literal import() calls so esbuild bundles them.
import type { CheckDefinition } from './types.ts';
import { lazyCheck } from './lazy.ts';
import { hostSpec } from './host/spec.ts';
import { pingSpec } from './ping/spec.ts';
import { tcpSpec } from './tcp/spec.ts';
import { httpSpec } from './http/spec.ts';
import { securitySpec } from './security/spec.ts';
import { discoverySpec } from './discovery/spec.ts';
import { tlsSpec } from './tls/spec.ts';
import { certFileSpec } from './cert_file/spec.ts';
import { videoconfSpec } from './videoconf/spec.ts';
import { webIntegritySpec } from './web_integrity/spec.ts';
import { authEventsSpec } from './auth_events/spec.ts';
import { dnsSpec } from './dns/spec.ts';
import { snmpInterfacesSpec } from './snmp_interfaces/spec.ts';
import { mailDomainSpec } from './mail_domain/spec.ts';

/** Every check the agent knows, by its `type` key. A test fails when a folder is missing here. */
export const registry: Record<string, CheckDefinition<any>> = {
  host: lazyCheck(hostSpec, () => import('./host/index.ts').then((m) => m.hostCheck)),
  ping: lazyCheck(pingSpec, () => import('./ping/index.ts').then((m) => m.pingCheck)),
  tcp: lazyCheck(tcpSpec, () => import('./tcp/index.ts').then((m) => m.tcpCheck)),
  http: lazyCheck(httpSpec, () => import('./http/index.ts').then((m) => m.httpCheck)),
  security: lazyCheck(securitySpec, () => import('./security/index.ts').then((m) => m.securityCheck)),
  discovery: lazyCheck(discoverySpec, () => import('./discovery/index.ts').then((m) => m.discoveryCheck)),
  tls: lazyCheck(tlsSpec, () => import('./tls/index.ts').then((m) => m.tlsCheck)),
  cert_file: lazyCheck(certFileSpec, () => import('./cert_file/index.ts').then((m) => m.certFileCheck)),
  videoconf: lazyCheck(videoconfSpec, () => import('./videoconf/index.ts').then((m) => m.videoconfCheck)),
  web_integrity: lazyCheck(webIntegritySpec, () => import('./web_integrity/index.ts').then((m) => m.webIntegrityCheck)),
  auth_events: lazyCheck(authEventsSpec, () => import('./auth_events/index.ts').then((m) => m.authEventsCheck)),
  dns: lazyCheck(dnsSpec, () => import('./dns/index.ts').then((m) => m.dnsCheck)),
  snmp_interfaces: lazyCheck(snmpInterfacesSpec, () => import('./snmp_interfaces/index.ts').then((m) => m.snmpInterfacesCheck)),
  mail_domain: lazyCheck(mailDomainSpec, () => import('./mail_domain/index.ts').then((m) => m.mailDomainCheck)),
};

export function checkTypes(): string[] {
  return Object.keys(registry).sort();
}
