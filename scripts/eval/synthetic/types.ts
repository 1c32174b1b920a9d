export type DocType = "contract" | "invoice" | "proposal" | "manual" | "policy";
export type Language = "pt" | "en";

export interface SynthDoc {
  /** Stable while the generator is edited; the BEIR `_id` is assigned after shuffling. */
  key: string;
  title: string;
  /** Paragraphs separated by blank lines, as a chunker splitting by structure expects. */
  text: string;
  type: DocType;
  language: Language;
  client?: string;
  product?: string;
}

/**
 * A question some document answers, in the ways a customer might phrase it. Query selection picks one phrasing;
 * `related` says who gets grade 1 besides the target's grade 2.
 */
export interface Ask {
  category: string;
  language: Language;
  phrasings: string[];
  target: string;
  /** Doc keys graded 1, or "client" for every other document of the target's client. */
  related?: string[] | "client";
  /** Doc keys that must stay ungraded (an exclusion query's excluded document). */
  exclude?: string[];
  /**
   * A detail the question identifies its document by (an amount, a number): the ask is only used when no other
   * client's document contains it as a word, else two answers would be right.
   */
  unique?: string;
}

export interface Built {
  docs: SynthDoc[];
  asks: Ask[];
}
