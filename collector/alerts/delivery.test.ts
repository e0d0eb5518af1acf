import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { COLLECTOR_BIN, runCli } from '../../test/support/agent.ts';
import { startMailServer, type MailServer } from '../../scripts/lib/mail-server.ts';
import { loadCollectorConfig } from '../config.ts';
import { testMail } from '../cli/alerts.ts';

const PASSWORD = 'mật-khẩu-thử-9f3a';

describe('test-mail over STARTTLS with authentication (real SMTP server)', () => {
  let dir: string;
  let smtp: MailServer;
  let configFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-test-mail-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    writeFileSync(join(dir, 'ca.pem'), pems.cert);
    writeFileSync(join(dir, 'smtp.password'), `${PASSWORD}\n`, { mode: 0o600 });
    smtp = await startMailServer({
      options: {
        disabledCommands: [],
        authOptional: false,
        key: pems.private,
        cert: pems.cert,
        onAuth(auth, _session, callback) {
          if (auth.username === 'canhgac' && auth.password === PASSWORD) callback(null, { user: 'canhgac' });
          else callback(new Error('535 authentication failed'));
        },
      },
    });
    configFile = join(dir, 'collector.yaml');
    const smtpSection = { host: '127.0.0.1', port: smtp.port, starttls: true, username: 'canhgac', passwordFile: 'smtp.password', ca: 'ca.pem', from: 'Canh Gác <canhgac@example.vn>' };
    writeFileSync(configFile, stringify({ dataDir: join(dir, 'data'), smtp: smtpSection }));
    writeFileSync(join(dir, 'wrong.password'), 'not-it\n');
    writeFileSync(join(dir, 'wrong.yaml'), stringify({ dataDir: join(dir, 'data'), smtp: { ...smtpSection, passwordFile: 'wrong.password' } }));
  }, 30_000);
  afterAll(async () => {
    await smtp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('canhgac-collector test-mail --to ADDRESS delivers a Vietnamese test mail; the password never appears in it', async () => {
    const r = await runCli(COLLECTOR_BIN, ['test-mail', '--config', configFile, '--to', 'soc@example.vn']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`test mail sent to soc@example.vn through 127.0.0.1:${smtp.port}\n`);
    expect(r.code).toBe(0);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0].subject).toBe('[THỬ NGHIỆM] Thư thử cấu hình SMTP của Canh Gác');
    expect(smtp.mails[0].to).toEqual(['soc@example.vn']);
    expect(smtp.mails[0].raw).not.toContain(PASSWORD);
  }, 60_000);

  it('a wrong password fails with the server answer and exit code 1', async () => {
    let out = '';
    const code = await testMail(loadCollectorConfig(join(dir, 'wrong.yaml')), 'soc@example.vn', (t) => (out += t));
    expect(code).toBe(1);
    expect(out).toMatch(/failed: .*535/);
    expect(out).not.toContain('not-it');
  });
});
