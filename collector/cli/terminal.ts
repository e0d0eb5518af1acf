// Text that reaches a terminal: what an agent or a LAN device wrote (a hostname, a command message)
// must not retitle the terminal, move the cursor or forge table rows, so control and bidi-override
// characters are shown escaped.

// C0 and C1 controls, DEL, line/paragraph separators and the bidi overrides/isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** One table cell or value: every control character escaped, newlines included. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** A whole message of ours, with its own line breaks kept and anything else escaped. */
export function terminalSafeLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escape);
}
