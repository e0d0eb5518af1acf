// Password hashing (scrypt) on a thread of its own, with a bounded queue. scrypt on Node's shared
// thread pool once let a flood of logins delay the gzip inflation of agents' batches by seconds;
// here a flood waits in its own line, and past the line it is refused at once.
import { Worker } from 'node:worker_threads';
import type { ScryptOptions } from 'node:crypto';

/** The hasher's queue is full: answer "try again" rather than wait. */
export class HasherBusyError extends Error {
  constructor() {
    super('password checks are busy; try again in a few seconds');
  }
}

// Plain CommonJS run by the worker (eval): no TypeScript loader needed there.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', (m) => {
  try {
    const key = scryptSync(m.password, Buffer.from(m.salt), m.keylen, m.opts);
    parentPort.postMessage({ id: m.id, key });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
`;

/** At most this many hashes wait for the thread (some 50 ms each): a few seconds of work. */
export const MAX_QUEUED_HASHES = 64;

interface Waiting {
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, Waiting>();

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
    const p = waiting.get(m.id);
    waiting.delete(m.id);
    if (waiting.size === 0) w.unref();
    if (!p) return;
    if (m.key) p.resolve(Buffer.from(m.key));
    else p.reject(new Error(m.error ?? 'scrypt failed'));
  });
  w.on('error', (err) => failAll(err));
  w.on('exit', () => {
    worker = undefined;
    failAll(new Error('password hashing thread stopped'));
  });
  w.unref();
  return (worker = w);
}

function failAll(err: Error): void {
  for (const p of waiting.values()) p.reject(err);
  waiting.clear();
}

/** scrypt off the shared thread pool; rejects with HasherBusyError when the queue is full. */
export function scryptOffPool(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  if (waiting.size >= MAX_QUEUED_HASHES) return Promise.reject(new HasherBusyError());
  const w = thread();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    // Referenced while work is pending, so a caller awaiting it keeps the process alive.
    w.ref();
    w.postMessage({ id, password, salt: new Uint8Array(salt), keylen, opts });
  });
}

/** Hashes waiting or running (for tests and /readyz-style reporting). */
export function queuedHashes(): number {
  return waiting.size;
}
