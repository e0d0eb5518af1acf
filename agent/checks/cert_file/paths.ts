/**
 * Turns the configured `paths` into files: plain files, directories (their certificate files, not
 * recursive) and glob patterns (`*`, `?`, `[abc]` within a name, `**` for any depth). Node 20 has no
 * fs.glob, and a dependency for forty lines is not worth it. Bounded in files and depth.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

export const CERT_EXTENSIONS = ['.pem', '.crt', '.cer', '.der', '.cert', '.p12', '.pfx'];
export const MAX_FILES = 10_000;
const MAX_DEPTH = 16;

export type Expanded = { file: string } | { pattern: string; error: string };

export function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

export async function expandPaths(entries: readonly string[]): Promise<Expanded[]> {
  const out: Expanded[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    if (seen.has(file) || seen.size >= MAX_FILES) return;
    seen.add(file);
    out.push({ file });
  };
  for (const entry of entries) {
    if (isGlob(entry)) {
      const files = await expandGlob(entry);
      if (files.length === 0) out.push({ pattern: entry, error: 'no file matches this pattern' });
      files.sort().forEach(add);
      continue;
    }
    let st;
    try {
      st = await stat(entry);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.push({ pattern: entry, error: code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(err)})` });
      continue;
    }
    if (st.isDirectory()) {
      const names = await readdir(entry).catch(() => [] as string[]);
      const certs = names.filter((n) => CERT_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
      if (certs.length === 0) out.push({ pattern: entry, error: 'no certificate file (.pem .crt .cer .der .p12 .pfx) in this directory' });
      for (const n of certs) add(join(entry, n));
    } else {
      add(entry);
    }
  }
  return out;
}

function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/\\\\]*';
    else if (c === '?') re += '[^/\\\\]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${segment.slice(i + 1, end).replace(/\\/g, '\\\\').replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, process.platform === 'win32' ? 'i' : '');
}

async function expandGlob(pattern: string): Promise<string[]> {
  const normal = process.platform === 'win32' ? pattern.replace(/\\/g, '/') : pattern;
  const parts = normal.split('/');
  // The part before the first wildcard is a directory to start from.
  let first = parts.findIndex(isGlob);
  if (first < 0) first = parts.length;
  const base = parts.slice(0, first).join('/') || (normal.startsWith('/') ? '/' : '.');
  const rest = parts.slice(first);
  const found: string[] = [];

  const walk = async (dir: string, i: number, depth: number): Promise<void> => {
    if (found.length >= MAX_FILES || depth > MAX_DEPTH) return;
    const part = rest[i];
    const last = i === rest.length - 1;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (part === '**') {
      // `**` matches zero or more directories.
      if (last) {
        for (const e of entries) if (e.isFile()) found.push(join(dir, e.name));
      } else await walk(dir, i + 1, depth);
      for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name), i, depth + 1);
      return;
    }
    const re = segmentRegex(part);
    for (const e of entries) {
      if (!re.test(e.name)) continue;
      const p = join(dir, e.name);
      if (last) {
        if (e.isFile() || e.isSymbolicLink()) found.push(p);
      } else if (e.isDirectory() || e.isSymbolicLink()) await walk(p, i + 1, depth + 1);
    }
  };
  await walk(base, 0, 0);
  return process.platform === 'win32' ? found.map((f) => f.split('/').join(sep)) : found;
}
