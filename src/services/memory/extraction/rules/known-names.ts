import { type FoldedText, fold, nameKey, stripLegalSuffix, WORD, words } from "../text";
import type { KnownName } from "../types";
import { type Candidate, candidate, MAX_MATCHES, PRIORITY } from "./candidates";

/**
 * The project's own companies, products and contacts, found by name or alias whatever the case and accents, as whole
 * words ("Acme" is not found in "Acmeville"). The entity carries the canonical name and key, so "ACME", "Acme Ltda"
 * and an alias all land on one node. Longest match wins ("Banco do Brasil" over "Brasil").
 */

interface Needle {
  tokens: string[];
  known: KnownName;
  confidence: number;
  /** Short names ("Pro", "XP") are common words too: they count only when written capitalised. */
  capitalised: boolean;
}

export interface NameIndex {
  byFirstToken: Map<string, Needle[]>;
  /** Folded name or alias → the known name, for naming what a model found. */
  byKey: Map<string, KnownName>;
}

export function indexNames(known: KnownName[] = []): NameIndex {
  const byFirstToken = new Map<string, Needle[]>();
  const byKey = new Map<string, KnownName>();
  const add = (known: KnownName, spelling: string, confidence: number) => {
    const tokens = words(fold(spelling));
    const key = tokens.join(" ");
    // A name without a legal suffix, or an alias spelled like the name, is the same needle.
    if (key.length < 2 || byKey.get(key) === known) return;
    const list = byFirstToken.get(tokens[0]!) ?? [];
    list.push({ tokens, known, confidence, capitalised: key.length <= 3 });
    byFirstToken.set(tokens[0]!, list);
    byKey.set(key, known);
  };
  for (const k of known) {
    if (!k?.name?.trim()) continue;
    add(k, k.name, 0.9);
    // "Acme Ltda" is mostly written "Acme".
    if (k.type === "company") add(k, stripLegalSuffix(words(fold(k.name))).join(" "), 0.85);
    for (const alias of k.aliases ?? []) add(k, alias, 0.85);
  }
  for (const list of byFirstToken.values()) list.sort((a, b) => b.tokens.length - a.tokens.length);
  return { byFirstToken, byKey };
}

/** Separators allowed between the words of a name ("Coca-Cola", "Acme, Inc.", a line break inside a name). */
const GAP = /^[\s.,/-]{1,3}$/u;

export function findKnownNames(ft: FoldedText, index: NameIndex): Candidate[] {
  if (index.byFirstToken.size === 0) return [];
  const found: { token: string; start: number; end: number }[] = [];
  for (const m of ft.text.matchAll(WORD)) found.push({ token: m[0], start: m.index, end: m.index + m[0].length });
  const out: Candidate[] = [];
  for (let i = 0; i < found.length && out.length < MAX_MATCHES; i++) {
    const needles = index.byFirstToken.get(found[i]!.token);
    const hit = needles?.find((n) => matchesAt(ft, found, i, n));
    if (!hit) continue;
    const last = found[i + hit.tokens.length - 1]!;
    const type = hit.known.type;
    out.push(
      candidate(ft, type, found[i]!.start, last.end, {
        name: hit.known.name.trim(),
        key: nameKey(type, hit.known.name),
        confidence: hit.confidence,
        priority: PRIORITY.name,
      }),
    );
    i += hit.tokens.length - 1;
  }
  return out;
}

function matchesAt(ft: FoldedText, found: { token: string; start: number; end: number }[], i: number, needle: Needle): boolean {
  for (let k = 1; k < needle.tokens.length; k++) {
    const word = found[i + k];
    if (!word || word.token !== needle.tokens[k] || !GAP.test(ft.text.slice(found[i + k - 1]!.end, word.start))) return false;
  }
  if (!needle.capitalised) return true;
  const first = ft.original[ft.from[found[i]!.start]!]!;
  return first !== first.toLowerCase();
}
