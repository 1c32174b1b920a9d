import type { FoldedText } from "../text";

/**
 * The words after a statement's verb that name its object: "trabalho na [Acme Ltda], desde 2020", "moro em [São
 * Paulo] há dez anos", "tenho interesse no [plano Pro] mas…". Read word by word in code rather than by a pattern:
 * the stop rules are lists, and a pattern with that many alternatives would be neither readable nor cheap.
 */

export interface PhraseRules {
  /** Proper nouns only: every word capitalised (a company named in running text), connectors aside. */
  capitalised: boolean;
  /** "de", "do", "da", "of" inside a name ("Banco do Brasil", "Rio de Janeiro"), never at its ends. */
  connectors: boolean;
  maxWords: number;
}

/**
 * Words that end a phrase: conjunctions, prepositions starting a new complement, time words, pronouns and verbs of a
 * new clause, articles. An object that starts with one is not a name at all ("moro em uma casa", "comprei ontem").
 */
const STOP = new Set(
  (
    "e ou mas porem pois porque que com para pra por ha desde faz ate quando se como mais muito ja tambem agora hoje " +
    "ontem amanha aqui la no na nos nas em ao aos pelo pela num numa este esta esse essa isso semana mes meses ano anos " +
    "dia dias nao sim eh sou estou tenho eu me meu minha o a os as um uma uns umas nosso nossa seu sua " +
    "and or but because that with for since when if as also now today yesterday tomorrow last next ago in on at to " +
    "from by not so which who where there here this week month months year years day days is was am i my the an " +
    "your our their his her"
  ).split(" "),
);
const CONNECTORS = new Set(["de", "do", "da", "dos", "das", "of", "del", "di", "du"]);
// A legal suffix right after a company name belongs to it, dots and slash included ("Acme S.A.", "Acme S/A").
// ("me" is left out: after a name it is far more often the pronoun, "trabalho na Acme, me liga".)
const LEGAL_TAIL = /,?\s{1,2}(?:s\.?\/?a\.?|ltda\.?|eireli|epp|inc\.?|llc|ltd\.?|corp\.?)(?![\p{L}\p{N}])/uy;
const WORD_AT = /[\p{L}\p{N}]+(?:[&'-][\p{L}\p{N}]+)*/uy;
const SPACE_AT = /[ \t]{1,3}/y;

/**
 * The phrase starting at folded position `pos` (after the verb and its preposition), as folded [start, end), or null.
 * `taken(start, end)` says whether original characters already belong to an entity: a phrase stops before one.
 */
export function readPhrase(
  ft: FoldedText,
  pos: number,
  rules: PhraseRules,
  taken: (start: number, end: number) => boolean,
): { start: number; end: number } | null {
  let at = pos;
  let first = -1;
  let end = -1;
  let count = 0;
  let pendingConnector = false;
  while (count < rules.maxWords) {
    if (count > 0 || pendingConnector) {
      // Words of one name are separated by spaces only; punctuation and line breaks end it.
      SPACE_AT.lastIndex = at;
      if (!SPACE_AT.exec(ft.text)) break;
      at = SPACE_AT.lastIndex;
    }
    WORD_AT.lastIndex = at;
    const m = WORD_AT.exec(ft.text);
    if (!m) break;
    const word = m[0];
    const wordEnd = at + word.length;
    if (taken(ft.from[at]!, ft.to[wordEnd - 1]!)) break;
    if (CONNECTORS.has(word)) {
      if (!rules.connectors || count === 0 || pendingConnector) break;
      pendingConnector = true;
      at = wordEnd;
      continue;
    }
    if (STOP.has(word)) break;
    if (rules.capitalised && !startsCapitalised(ft, at)) break;
    if (first < 0) first = at;
    end = wordEnd;
    at = wordEnd;
    count++;
    pendingConnector = false;
  }
  if (first < 0) return null;
  if (rules.capitalised) {
    LEGAL_TAIL.lastIndex = end;
    if (LEGAL_TAIL.exec(ft.text)) end = LEGAL_TAIL.lastIndex;
  }
  return { start: first, end };
}

function startsCapitalised(ft: FoldedText, foldedPos: number): boolean {
  const c = ft.original[ft.from[foldedPos]!]!;
  return /\p{N}/u.test(c) || c !== c.toLowerCase();
}
