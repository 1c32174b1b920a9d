import fc from "fast-check";
import type { ChunkOptions } from "../../src/services/memory/documents/chunk";
import { normalizeText } from "../../src/services/memory/documents/normalize";
import type { Page } from "../../src/services/memory/documents/pages";

/** Words that exercise the sentence rules (abbreviations, amounts, dates, quotes, list markers) and odd Unicode. */
const WORDS = [
  ..."o valor do contrato é de prestação serviços ação pagamento cláusula São Paulo Açaí naïve".split(" "),
  ..."R$ 12.500,00 1.250,00. Sr. Dra. etc. e.g. 12.03.2026 3,5% 3.5 fim. fim! será? item; “aspas”. (nota). ...".split(" "),
  ..."# ## ###### 1. - | 😀 👩‍👩‍👧 e\u0301 \u00A0 \uFEFF".split(" "),
];

const token = fc.oneof(
  { weight: 60, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 8, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 6 }) },
  // Runs without a space, up to several times maxChars: long URLs, base64, table rules.
  // Graphemes of several code units ("é" decomposed, a ZWJ family) must not be cut apart when avoidable; a space
  // run longer than maxChars can only come in blank pieces.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("x", "é", "😀", "-", "e\u0301", "👩‍👩‍👧", " "), fc.integer({ min: 20, max: 3000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);
const space = fc.constantFrom(" ", " ", " ", " ", "\n", "\n\n", "  ", "\t", "\r\n", "\n\n\n", " \n ");

const prose = fc.array(fc.tuple(token, space), { maxLength: 400, size: "large" }).map((parts) => parts.flat().join(""));
const blank = fc.constantFrom("", " ", "\n\n", " \t\n ", "\u00A0");

/** A page's text: raw generated text, the same normalised as extraction would, or a blank page. */
export const pageText = fc.oneof(
  { weight: 4, arbitrary: prose },
  { weight: 4, arbitrary: prose.map(normalizeText) },
  { weight: 1, arbitrary: blank },
);

export const pagesArb = fc
  .array(pageText, { minLength: 1, maxLength: 5 })
  .map((texts): Page[] => texts.map((text, i) => ({ pageNumber: i + 1, text })));

/** Sizes from tiny (many chunks per page, every rule hit often) to the defaults. */
export const optionsArb: fc.Arbitrary<Required<ChunkOptions>> = fc.integer({ min: 8, max: 1000 }).chain((targetChars) =>
  fc.record({
    targetChars: fc.constant(targetChars),
    maxChars: fc.integer({ min: targetChars, max: targetChars * 2 }),
    overlapChars: fc.integer({ min: 0, max: targetChars - 1 }),
  }),
);
