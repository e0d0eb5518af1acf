// What the public status page shows, as one versioned JSON document (/status.json) built from the
// configured services, the probes' current state, the 90-day record and the notices. Nothing internal
// goes in: no addresses, agents, agencies, hostnames, error texts or probe details.
import type { Notice } from './notices.ts';
import type { DayFigure } from './history.ts';
import type { ServiceState } from './probe-state.ts';
import type { StatusService } from './settings.ts';

export const STATUS_SCHEMA_VERSION = 1;

export interface Texts {
  vi: string;
  en?: string;
}

export interface PublicService {
  id: string;
  name: Texts;
  description?: Texts;
  state: ServiceState;
  /** Mean of the days with data over the 90 days, percent; undefined when no day has data. */
  uptime90?: number;
  days: DayFigure[];
}

export interface PublicNotice {
  id: number;
  kind: 'incident' | 'maintenance';
  title: string;
  body: string;
  services: string[];
  startsAt: string;
  endsAt?: string;
  /** Updates without their authors: the names of the province's staff are not public. */
  updates: { at: string; text: string }[];
}

export interface StatusModel {
  version: typeof STATUS_SCHEMA_VERSION;
  generatedAt: string;
  title: Texts;
  overall: ServiceState;
  services: PublicService[];
  notices: PublicNotice[];
}

export const DEFAULT_TITLE: Texts = { vi: 'Tình trạng các hệ thống dùng chung của tỉnh', en: "Status of the province's shared systems" };

/** The worst state of the services: one down service makes the province "degraded", all down "down". */
export function overallOf(states: ServiceState[]): ServiceState {
  const known = states.filter((s) => s !== 'unknown');
  if (known.length === 0) return 'unknown';
  if (known.every((s) => s === 'down')) return 'down';
  return known.every((s) => s === 'up') ? 'up' : 'degraded';
}

export function publicService(svc: StatusService, state: ServiceState, days: DayFigure[]): PublicService {
  const measured = days.filter((d) => d.percent !== undefined);
  const uptime90 = measured.length ? Math.round((measured.reduce((a, d) => a + d.percent!, 0) / measured.length) * 100) / 100 : undefined;
  return { id: svc.id, name: svc.name, description: svc.description, state, uptime90, days };
}

export function publicNotice(n: Notice, knownServices: Set<string>): PublicNotice {
  return {
    id: n.id,
    kind: n.kind,
    title: n.title,
    body: n.body,
    services: n.services.filter((s) => knownServices.has(s)),
    startsAt: new Date(n.startsAt).toISOString(),
    endsAt: n.endsAt === undefined ? undefined : new Date(n.endsAt).toISOString(),
    updates: n.updates.map((u) => ({ at: new Date(u.at).toISOString(), text: u.text })),
  };
}
