const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Controls other than tab and newline carry no text and Postgres refuses NUL; form feed and friends end a line.
const LINE_BREAKS = /\r\n?|[\f\v\u2028\u2029\u0085]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const CONTROLS = /[\u0000-\u0008\u000E-\u001F\u007F]/g;
const TRAILING_SPACE = /[^\S\n]+$/gm;
const BLANK_RUNS = /\n{3,}/g;

/**
 * Light, deterministic and idempotent clean-up of extracted text, so the same file always yields the same chunks
 * and offsets: NFC (PDFs and macOS files often carry decomposed accents), one line ending, no trailing spaces, at
 * most one blank line in a row, no leading blank lines or trailing whitespace. Whitespace-only text becomes "".
 */
export function normalizeText(raw: string): string {
  return raw
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(LINE_BREAKS, "\n")
    .replace(CONTROLS, "")
    .normalize("NFC")
    .replace(TRAILING_SPACE, "")
    .replace(BLANK_RUNS, "\n\n")
    .replace(/^\n+/, "")
    .trimEnd();
}
