import { extractWithRules } from "../extraction";
import { fold, words } from "../extraction/text";

/** Longest name the graph channel looks up as one key ("Clínica Odontológica Sorriso Feliz" is four words). */
const MAX_NAME_WORDS = 5;
const MAX_KEYS = 256;

/**
 * The normalised keys a question may name entities by, for the graph channel to look up in one index probe:
 * every run of up to MAX_NAME_WORDS folded words (names are keyed the same way: extraction's nameKey — a company's
 * legal suffix is just another word, so "acme" is among the runs of "Acme Ltda"), and the keys of what the rules
 * recognise by shape (amounts, dates, e-mails, phones, CPF/CNPJ). Which of them exist is the database's answer.
 */
export function queryEntityKeys(question: string): string[] {
  const keys = new Set<string>();
  for (const e of extractWithRules({ text: question, speaker: "document" }).entities) keys.add(e.key);
  const tokens = words(fold(question));
  for (let n = 1; n <= MAX_NAME_WORDS; n++) {
    for (let i = 0; i + n <= tokens.length && keys.size < MAX_KEYS; i++) keys.add(tokens.slice(i, i + n).join(" "));
  }
  return [...keys].slice(0, MAX_KEYS);
}
