// The Telegram channel: one Bot API method, `POST {apiUrl}/bot<token>/sendMessage` (chat_id, text,
// parse_mode HTML), to api.telegram.org or a relay where it is blocked; the token is read from its file.
import { VERSION } from '../../../protocol/index.ts';
import type { OutgoingMail } from '../store.ts';
import { answerSnippet, postBody, retryAfterMs } from './http.ts';
import { readSecret, withoutSecrets } from './secrets.ts';
import { channelAddress, type TelegramSettings } from './settings.ts';
import { ChannelError, type Channel } from './types.ts';

/** The body of sendMessage, as the Bot API documents it (https://core.telegram.org/bots/api#sendmessage). */
export interface SendMessageBody {
  chat_id: string;
  text: string;
  parse_mode: 'HTML';
  link_preview_options: { is_disabled: true };
}

/** The Bot API's answer: `{ok: true, result}` or `{ok: false, error_code, description, parameters?: {retry_after}}`. */
interface BotAnswer {
  ok?: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

function parseAnswer(body: string): BotAnswer | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as BotAnswer) : undefined;
  } catch {
    return undefined;
  }
}

export class TelegramChannel implements Channel {
  readonly kind = 'telegram';
  readonly name: string;
  readonly maxBackoffMs: number;
  readonly target: string;

  constructor(private readonly settings: TelegramSettings) {
    this.name = settings.name;
    this.maxBackoffMs = settings.maxBackoffMs;
    this.target = `${channelAddress(settings)} via ${new URL(settings.apiUrl).host}`;
  }

  async send(n: OutgoingMail): Promise<void> {
    const token = readSecret(this.settings.botTokenFile, 'bot token');
    try {
      await this.sendMessage(token, n.text);
    } catch (err) {
      const e = err instanceof ChannelError ? err : new ChannelError((err as Error).message);
      throw new ChannelError(withoutSecrets(e.message, [token]), e.retryAfterMs);
    }
  }

  private async sendMessage(token: string, text: string): Promise<void> {
    const body: SendMessageBody = { chat_id: this.settings.chatId, text, parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
    const url = new URL(`${this.settings.apiUrl}/bot${token}/sendMessage`);
    const answer = await postBody(url, Buffer.from(JSON.stringify(body), 'utf8'), {
      timeoutMs: this.settings.timeoutMs,
      ca: this.settings.ca,
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': `canhgac-collector/${VERSION}` },
    });
    const parsed = parseAnswer(answer.body);
    if (answer.status >= 200 && answer.status < 300 && parsed?.ok === true) return;
    // 429 says how long to wait in parameters.retry_after (seconds); a relay may say it in Retry-After.
    const asked = parsed?.parameters?.retry_after;
    const wait = typeof asked === 'number' && Number.isFinite(asked) && asked >= 0 ? Math.min(asked, 86_400) * 1000 : retryAfterMs(answer.headers);
    const why = parsed?.description ? `${parsed.error_code ?? answer.status} ${answerSnippet(parsed.description)}` : `HTTP ${answer.status}${answer.body ? `: ${answerSnippet(answer.body)}` : ''}`;
    throw new ChannelError(`Telegram sendMessage to chat ${this.settings.chatId} via ${url.host} failed: ${why}`, wait);
  }

  close(): void {}
}
