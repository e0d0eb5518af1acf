// The text of a Telegram message (Bot API parse_mode HTML): the mail's subject in bold, then each alert in a
// few lines, in the reader's language; escaped for that mode and kept under Telegram's 4096 characters.
import { formatTime, links, locationOf, mailWords, measuredOf, SEVERITY_WORD, summaryOf, type AlertView, type MailContext } from '../templates.ts';

/** Telegram refuses a message over 4096 characters; the markup counts here too, so this stays well under. */
export const MAX_TELEGRAM_CHARS = 3900;
const MAX_LINE_CHARS = 300;

/** The three characters parse_mode HTML gives a meaning to, and the quote inside an href. */
export function escapeTelegramHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

const line = (s: string) => escapeTelegramHtml(s.length > MAX_LINE_CHARS ? `${s.slice(0, MAX_LINE_CHARS - 1)}…` : s);

function alertBlock(a: AlertView, resolved: boolean, ctx: MailContext): string {
  const w = mailWords(ctx.locale);
  const sev = resolved ? w.resolved : SEVERITY_WORD[ctx.locale][a.severity];
  const out = [`<b>[${line(sev)}]</b> ${line(summaryOf(a, ctx.locale, ctx.agencyName))}`];
  const location = locationOf(a.labels);
  const measured = measuredOf(a, ctx.locale);
  if (location && location !== a.labels.agent) out.push(`${line(w.location)}: ${line(location)}`);
  if (measured) out.push(`${line(w.measured)}: ${line(measured)}`);
  out.push(`${line(w.started)}: ${formatTime(a.firedAt, ctx.locale)}`);
  if (a.resolvedAt) out.push(`${line(w.ended)}: ${formatTime(a.resolvedAt, ctx.locale)}`);
  if (a.ackedBy) out.push(`${line(w.acked)}: ${line(a.ackedBy)}`);
  const l = links(a, ctx);
  if (l.console) out.push(`<a href="${escapeTelegramHtml(l.console)}">${line(w.console)}</a>`);
  return out.join('\n');
}

/** Blocks joined until the next would not fit, then how many were left out. */
function fit(head: string, blocks: string[], more: (n: number) => string, tail: string): string {
  let text = head;
  let used = 0;
  for (const b of blocks) {
    if (text.length + b.length + tail.length + 200 > MAX_TELEGRAM_CHARS) break;
    text += `\n\n${b}`;
    used++;
  }
  if (used < blocks.length) text += `\n\n${line(more(blocks.length - used))}`;
  return `${text}${tail}`;
}

/** One group of alerts of one agency; the subject is the mail's, so chat and mail read alike. */
export function telegramAlertText(subject: string, ctx: MailContext): string {
  const w = mailWords(ctx.locale);
  const head = `<b>${line(subject)}</b>${ctx.kind === 'escalation' ? `\n${line(w.escalationNote)}` : ''}`;
  const blocks = [...ctx.firing.map((a) => alertBlock(a, false, ctx)), ...ctx.resolved.map((a) => alertBlock(a, true, ctx))];
  const more = (n: number) => w.andMore(n).replace(/\s*\(.*\)$/, '');
  return fit(head, blocks, more, ctx.firing.length > 0 ? `\n\n<i>${line(w.ackHint)}</i>` : '');
}

/** A plain notice (storm summary, test): the subject in bold and the text, escaped, cut to fit. */
export function telegramNoticeText(subject: string, text: string): string {
  const body = escapeTelegramHtml(text.trim());
  const room = MAX_TELEGRAM_CHARS - subject.length - 20;
  // A cut inside an entity (`&am`) would make Telegram refuse the whole message: drop the broken tail.
  const cutBody = body.length > room ? `${body.slice(0, room).replace(/&[a-z#0-9]*$/, '')}…` : body;
  return `<b>${line(subject)}</b>\n\n${cutBody}`;
}
