// Fetches a build from the collector into a `.part` file: resumed with `Range: bytes=N-` after an
// interruption, bounded in size and time, then checked against the announced size and SHA-256.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface DownloadRequest {
  /** The collector's base URL and CA (the local config's), the path of the build, the agent token. */
  base: string;
  ca?: string;
  path: string;
  token: string;
  size: number;
  sha256: string;
  /** Where the bytes go; a file already there is the start of this build from an earlier attempt. */
  partFile: string;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Why a download did not give the announced build: `interrupted` and `network` may be resumed, the others start again. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly kind: 'interrupted' | 'network' | 'refused' | 'mismatch',
  ) {
    super(message);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** One GET from `have` bytes on; resolves with the bytes now in the part file. */
function fetchFrom(req: DownloadRequest, have: number): Promise<number> {
  const url = new URL(req.path, req.base);
  const mod = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { authorization: `Bearer ${req.token}` };
  if (have > 0) headers.range = `bytes=${have}-`;
  return new Promise<number>((resolve, reject) => {
    let written = have;
    const fail = (err: DownloadError) => {
      request.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new DownloadError(`no complete download within ${req.timeoutMs} ms (${written} of ${req.size} bytes; resumed next time)`, 'interrupted')), req.timeoutMs);
    const onAbort = () => fail(new DownloadError('the agent is stopping', 'interrupted'));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    const request = mod.request(url, { method: 'GET', headers, ca: req.ca ? readFileSync(req.ca, 'utf8') : undefined, timeout: Math.min(req.timeoutMs, 60_000) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200 && status !== 206) {
        res.resume();
        done();
        return reject(new DownloadError(`the collector answered ${status} for ${req.path}`, status === 416 ? 'mismatch' : 'refused'));
      }
      // 200 to a ranged request: the server sends the whole file again, so start the part file afresh.
      if (status === 200) written = 0;
      const out = createWriteStream(req.partFile, { flags: status === 206 ? 'a' : 'w', mode: 0o600 });
      res.on('data', (chunk: Buffer) => {
        written += chunk.length;
        if (written > req.size || written > req.maxBytes) fail(new DownloadError(`the collector sent more than the announced ${req.size} bytes`, 'mismatch'));
      });
      res.pipe(out);
      out.on('finish', () => {
        done();
        resolve(written);
      });
      res.on('aborted', () => {
        done();
        out.end(() => reject(new DownloadError(`the download was interrupted at ${sizeOf(req.partFile)} of ${req.size} bytes (resumed next time)`, 'interrupted')));
      });
      res.on('error', () => undefined);
    });
    request.on('timeout', () => request.destroy(new Error('no data for 60 s')));
    request.on('error', (err) => {
      done();
      const at = sizeOf(req.partFile);
      reject(new DownloadError(at > 0 ? `the download was interrupted at ${at} of ${req.size} bytes (${err.message}; resumed next time)` : `cannot download from the collector: ${err.message}`, at > 0 ? 'interrupted' : 'network'));
    });
    request.end();
  });
}

/**
 * The announced build in `partFile`, complete and with the announced SHA-256, or a DownloadError (a
 * wrong hash deletes the part file; an interruption keeps it for the next attempt).
 */
export async function downloadBuild(req: DownloadRequest): Promise<void> {
  if (req.size > req.maxBytes) throw new DownloadError(`the build is ${req.size} bytes, more than selfUpdate.maxBytes (${req.maxBytes})`, 'refused');
  let have = sizeOf(req.partFile);
  if (have > req.size) {
    rmSync(req.partFile, { force: true });
    have = 0;
  }
  if (have < req.size) have = await fetchFrom(req, have);
  if (have !== req.size) {
    throw new DownloadError(`the download ended at ${have} of ${req.size} bytes (resumed next time)`, 'interrupted');
  }
  const actual = await sha256File(req.partFile);
  if (actual !== req.sha256) {
    rmSync(req.partFile, { force: true });
    throw new DownloadError(`the downloaded file's SHA-256 is ${actual}, not the announced ${req.sha256} (a changed or damaged file); deleted`, 'mismatch');
  }
}
