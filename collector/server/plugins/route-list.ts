// Records every route and whether it is an agent endpoint, so the auth matrix test can prove that
// no route is left without authentication.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface RouteInfo {
  method: string;
  url: string;
  /** True when the route's preHandler is `app.requireAgent` (an agent endpoint). */
  agent: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after this plugin (HEAD excluded): the auth matrix test walks it. */
    routeList: RouteInfo[];
  }
}

export default fp(async function routeList(app: FastifyInstance) {
  const list: RouteInfo[] = [];
  app.decorate('routeList', list);
  app.addHook('onRoute', (route) => {
    const handlers = [...[route.preHandler ?? []].flat(), ...[route.onRequest ?? []].flat()];
    const agent = app.hasDecorator('requireAgent') && handlers.includes(app.requireAgent as never);
    for (const method of [route.method].flat()) if (method !== 'HEAD') list.push({ method, url: route.url, agent });
  });
});
