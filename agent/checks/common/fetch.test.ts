// The TLS trust of the http and videoconf checks' requests: one context per distinct list of CA
// certificates, built once and reused, that trusts exactly that list.
import { connect, rootCertificates, type SecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from '../../../test/support/pki.ts';
import { startTlsServer, type Running } from '../../../test/support/tls-servers.ts';
import { trustContext } from './fetch.ts';

// Network safety: one TLS server on 127.0.0.1, started here.

describe('trust contexts', () => {
  let pki: Pki;
  let server: Running;

  beforeAll(async () => {
    pki = await makePki();
    server = await startTlsServer({ key: pki.leaves.good.key, cert: pki.leaves.good.chainPem });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    pki?.cleanup();
  });

  const authorized = (secureContext: SecureContext) =>
    new Promise<boolean | string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', secureContext, rejectUnauthorized: false }, () => {
        resolve(s.authorized);
        s.destroy();
      });
      s.on('error', (e) => resolve(e.message));
    });

  it('is built once per distinct list of CAs (the same text gives the same context)', () => {
    const a = trustContext([...rootCertificates, pki.rootPem]);
    expect(trustContext([...rootCertificates, `${pki.rootPem}`])).toBe(a);
    expect(trustContext([pki.rootPem])).not.toBe(a);
  });

  it('trusts exactly its list: the test root with or without the public roots, not an unrelated certificate', async () => {
    expect(await authorized(trustContext([...rootCertificates, pki.rootPem]))).toBe(true);
    expect(await authorized(trustContext([pki.rootPem]))).toBe(true);
    expect(await authorized(trustContext([pki.leaves.selfSigned.cert]))).toBe(false);
    expect(await authorized(trustContext([...rootCertificates]))).toBe(false);
  });
});
