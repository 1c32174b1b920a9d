/**
 * Text from outside the request guard (an agent's reply, a model's output) made storable: Postgres refuses NUL in
 * text and an unpaired UTF-16 surrogate in jsonb, so either would fail the write on every retry. Unpaired surrogates
 * become U+FFFD (what a UTF-8 decoder makes of them); NUL characters are dropped.
 */
export function storableText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what must go
  return text.replace(/\u0000/g, "").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** At most `max` UTF-16 code units, never ending inside a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.charCodeAt(max - 1);
  return text.slice(0, cut >= 0xd800 && cut <= 0xdbff ? max - 1 : max);
}
