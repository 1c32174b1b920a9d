import { foldedWords, STOPWORDS } from "../../src/integrations/embeddings/offline";

/**
 * The model peer's stand-in for a cross-encoder: how much of the query a text covers, from 0 to 1. Each query word
 * weighs by its length (long words say more than "de"), counts fully when the text has it and partly when the text
 * has a word sharing its first five letters ("contrato"/"contratos"), and common words count only when the query
 * has nothing else. It scores each (query, text) pair on its own, as a cross-encoder does, so the score of a text
 * does not depend on what else is in the request. Lexical, not semantic — and honest about it.
 */
export function lexicalRelevance(query: string, text: string): number {
  const all = [...new Set(foldedWords(query))];
  const content = all.filter((w) => !STOPWORDS.has(w));
  const terms = content.length ? content : all;
  if (terms.length === 0) return 0;
  const words = new Set(foldedWords(text));
  const stems = new Set([...words].filter((w) => w.length >= 5).map((w) => w.slice(0, 5)));
  let covered = 0;
  let total = 0;
  for (const term of terms) {
    const weight = Math.log(1 + term.length);
    total += weight;
    if (words.has(term)) covered += weight;
    else if (term.length >= 5 && stems.has(term.slice(0, 5))) covered += 0.6 * weight;
  }
  return covered / total;
}
