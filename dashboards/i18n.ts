/** Dashboards are built in one language: Vietnamese by default, English with `--locale en`. */
export type Locale = 'vi' | 'en';

export interface Text {
  vi: string;
  en: string;
}

export const LOCALES: readonly Locale[] = ['vi', 'en'];

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

/** A translator bound to one locale, handed to every panel factory. */
export type Tr = (text: Text) => string;

export function translator(locale: Locale): Tr {
  return (text) => text[locale];
}
