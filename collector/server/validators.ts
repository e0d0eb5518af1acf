// Schema validators per part of a request: a query string, path or header is text by nature, so
// `?limit=10` and `?all=true` are read as the number and boolean their schemas ask for; a JSON body is
// never coerced (`"up": "1"` stays a wrong type, refused with a reason).
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

const AJV_OPTIONS = { allErrors: false, removeAdditional: false } as const;

type ValidatorFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator'];

/** The `schemaController` option of the collector's fastify app. */
export function partAwareSchemaController(): NonNullable<FastifyServerOptions['schemaController']> {
  const pool = AjvCompiler();
  const buildValidator: ValidatorFactory = (externalSchemas, ajvServerOptions) => {
    const base = (ajvServerOptions ?? {}) as { plugins?: never[] };
    const strict = pool(externalSchemas, { ...base, customOptions: { ...AJV_OPTIONS, coerceTypes: false } });
    const coercing = pool(externalSchemas, { ...base, customOptions: { ...AJV_OPTIONS, coerceTypes: 'array' } });
    return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
  return { compilersFactory: { buildValidator } };
}
