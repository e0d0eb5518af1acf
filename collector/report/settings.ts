// The `report:` section of collector.yaml (recipients, day, hour, language): config.ts reads it,
// schedule.ts acts on it.
import { Type } from 'typebox';

/** `report:` in the collector config: who gets the monthly report mail and when. */
export const ReportSection = Type.Object(
  {
    recipients: Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', expected: 'an e-mail address' }), { default: [] }),
    day: Type.Integer({ minimum: 1, maximum: 28, default: 1, expected: 'a day of the month from 1 to 28' }),
    hour: Type.Integer({ minimum: 0, maximum: 23, default: 7, expected: 'an hour of the day from 0 to 23 (Vietnam time)' }),
    locale: Type.Union([Type.Literal('vi'), Type.Literal('en')], { default: 'vi' }),
  },
  { additionalProperties: false, default: {} },
);

export interface ReportSettings {
  recipients: string[];
  day: number;
  hour: number;
  locale: 'vi' | 'en';
}
