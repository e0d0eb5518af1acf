// The cert_file check's light half: config schema, defaults, measurements and validation, loaded to
// check a config without loading the certificate readers.
import { Type } from 'typebox';
import { joinPath, type ConfigIssue } from '../../../protocol/index.ts';
import { defineSpec } from '../lazy.ts';
import type { CheckConfig } from '../types.ts';

const schema = Type.Object({
  paths: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of files, directories or glob patterns' })),
  stores: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of Windows certificate stores such as LocalMachine\\My' })),
  passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', expected: 'the name of an environment variable holding the PKCS#12 password' })),
  passwordFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a file whose first line is the PKCS#12 password' })),
  // Accepted by the schema only so that validation can say why it is refused.
  password: Type.Optional(Type.Unknown()),
});

export type CertFileConfig = CheckConfig<typeof schema>;

/** A Windows certificate store as PowerShell names it; anything else never reaches the store reader. */
export const STORE_PATTERN = /^(LocalMachine|CurrentUser)\\[A-Za-z]+$/;

export const certFileSpec = defineSpec({
  type: 'cert_file',
  summary: 'Certificates in files (PEM, DER, PKCS#12), directories and the Windows store: expiry and weaknesses',
  schema,
  defaults: { interval: '6h', timeout: '60s' },
  measurements: ['cert_file'],
  validate: validateCertFile,
});

function validateCertFile(config: CertFileConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.password !== undefined) {
    issues.push({ path: joinPath(path, 'password'), message: 'a password is never written in the YAML; use passwordEnv (the name of an environment variable) or passwordFile' });
  }
  if (!config.paths && !config.stores) issues.push({ path, message: 'expected `paths`, `stores` or both' });
  if (config.passwordEnv && config.passwordFile) issues.push({ path: joinPath(path, 'passwordFile'), message: 'use passwordEnv or passwordFile, not both' });
  (config.stores ?? []).forEach((s, i) => {
    const at = joinPath(joinPath(path, 'stores'), i);
    if (!STORE_PATTERN.test(s)) issues.push({ path: at, message: `expected a store such as LocalMachine\\My or LocalMachine\\Root, got ${JSON.stringify(s)}` });
    else if (process.platform !== 'win32') issues.push({ path: at, message: 'certificate stores exist on Windows only; on this system list files in `paths`' });
  });
  return issues;
}
