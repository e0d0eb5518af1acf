// The webhook secret and the bot token: read from their files at each delivery (so they can be rotated
// without a restart) and cut out of every text that could reach a log, the history or a page.
import { readFileSync } from 'node:fs';
import { ChannelError } from './types.ts';

/** The secret in `file`, trimmed; a ChannelError naming the file (never the content) when it cannot be had. */
export function readSecret(file: string, what: string): string {
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ChannelError(`cannot read the ${what} file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (secret === '') throw new ChannelError(`the ${what} file ${file} is empty`);
  return secret;
}

/**
 * Every occurrence of each secret in a text replaced by `***`: an error from a relay or a socket may echo a
 * URL with the bot token in its path, and such a text goes to the log and the notification history.
 */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets.flatMap((x) => [x, encodeURIComponent(x)])) if (s.length >= 4) out = out.split(s).join('***');
  // The token may also come back percent-encoded or cut short: a Bot API path never survives whole.
  return out.replace(/\/bot[^/\s?#]+/g, '/bot***');
}
