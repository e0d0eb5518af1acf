// The contract's one entry point: agent, collector and dashboards import protocol/ through this file.
export * from './catalogue.ts';
export * from './validate.ts';
export * from './results.ts';
export * from './duration.ts';
export * from './api.ts';
export * from './version.ts';
export * from './config.ts';
export * from './security-checks.ts';
export * from './compliance.ts';
export * from './fleet.ts';
export * from './releases.ts';
