/** Lower-case, accent-free content words: what the deterministic steps compare a question and a passage by. */
export function contentWords(text: string): string[] {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 2 && !STOP_WORDS.has(w));
}

// Portuguese and English words that carry no subject; enough for picking a sentence, not a linguistic resource.
const STOP_WORDS = new Set(
  (
    "que qual quais quanto quando como onde para por com sem uma uns umas dos das nos nas num numa pelo pela pelos pelas " +
    "este esta esse essa isso isto aquele aquela seu sua seus suas meu minha nosso nossa voce voces ele ela eles elas " +
    "sim nao mais menos muito pouco tem tenho ter ser sao era foi vai vou the and for with what which how when where " +
    "who this that are was you your our their from have has can will about"
  ).split(" "),
);

/** The sentences of a passage (markdown headings and bullets stripped). */
export function sentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+(?=[A-ZÀ-Ý0-9"«])/u)
    .map((s) => s.replace(/^[#>*\-\s]+/, "").trim())
    .filter((s) => s.length > 0);
}
