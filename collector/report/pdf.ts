// The monthly report as PDF, printed by the machine's headless Chromium from the report's HTML.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.CANHGAC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * HTML to PDF with the machine's headless Chromium (Debian package `chromium`): it renders the same
 * HTML and SVG as the console and the mail, with real Vietnamese text shaping, and adds no npm
 * dependency. The page is a local file with no external resource; networking is off for the run.
 */
export async function htmlToPdf(html: string, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-report-'));
  try {
    const input = join(dir, 'report.html');
    const output = join(dir, 'report.pdf');
    writeFileSync(input, html);
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--no-pdf-header-footer',
      `--print-to-pdf=${output}`,
      pathToFileURL(input).href,
    ];
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${CHROMIUM} (install the Debian package chromium): ${err.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    let pdf: Buffer;
    try {
      pdf = readFileSync(output);
    } catch {
      throw new Error(`chromium did not write the PDF (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new Error('chromium wrote something that is not a PDF');
    return pdf;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
