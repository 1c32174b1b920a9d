import { EMBEDDING_DIMENSIONS } from "../../db/schema/memory";
import { assertNoBlankTexts } from "../models/calls";
import type { Embedder, EmbedKind } from "./types";
import { l2Normalize } from "./vectors";

/**
 * The offline embedder: signed feature hashing of accent-folded words, word pairs and character n-grams. It needs no
 * network and no weights, so dev, tests and CI run the whole memory pipeline with it — but it only knows spelling:
 * "contrato" is close to "contratos" and "contráto", and nowhere near "acordo". Its model id says so, and
 * `semantic: false` keeps anything from presenting its scores as meaning. Change anything that alters the vectors
 * and the id's version must change with it, or old and new vectors would be compared.
 */
export const OFFLINE_EMBEDDING_MODEL = "ventros/offline-feature-hash-768-v1";

/** Accent- and case-folded, so "Contráto" and "contrato" are the same word (customers type both). */
export function foldText(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

// Numbers keep their separators ("12.500,00" is one amount), emoji are words of their own (WhatsApp is full of them).
const TOKEN = /\p{N}+(?:[.,/:-]\p{N}+)*|[\p{L}\p{N}]+|\p{Extended_Pictographic}/gu;

/** The folded words of a text, in order. */
export function foldedWords(text: string): string[] {
  return foldText(text).match(TOKEN) ?? [];
}

/**
 * Words that occur in almost every Portuguese, Spanish or English sentence. They still count (a question can hinge on
 * "não"), but little, so two texts do not look alike merely for sharing "de" and "que".
 */
export const STOPWORDS = new Set(
  (
    "a o as os um uma uns umas de do da dos das no na nos nas em e ou que se por para com sem ao aos " +
    "como mais mas foi ser ter eu ele ela voce isso isto esse essa este esta qual quais ja muito " +
    "el la los las un una y del al lo su es the of and to in is are was be for on at by with an it this that or as"
  ).split(" "),
);

const WEIGHT = { word: 1, stopword: 0.15, pair: 0.5, gram: 0.35 } as const;
const GRAM_SIZES = [3, 4, 5] as const;

export class OfflineEmbedder implements Embedder {
  readonly model = OFFLINE_EMBEDDING_MODEL;
  readonly dimensions = EMBEDDING_DIMENSIONS;
  readonly semantic = false;

  async embed(texts: string[], _kind: EmbedKind): Promise<number[][]> {
    assertNoBlankTexts(texts, "embed");
    return texts.map((t) => embedOffline(t));
  }
}

/** Query and document texts embed the same way: the hashing has no notion of a question. */
export function embedOffline(text: string, dimensions = EMBEDDING_DIMENSIONS): number[] {
  const counts = new Map<string, { n: number; weight: number }>();
  const add = (feature: string, weight: number) => {
    const hit = counts.get(feature);
    if (hit) hit.n++;
    else counts.set(feature, { n: 1, weight });
  };
  const words = foldedWords(text);
  if (words.length === 0) add(`raw:${foldText(text).trim().slice(0, 64)}`, WEIGHT.word);
  words.forEach((word, i) => {
    if (STOPWORDS.has(word)) {
      add(`w:${word}`, WEIGHT.stopword);
      return;
    }
    add(`w:${word}`, WEIGHT.word);
    const next = words[i + 1];
    if (next && !STOPWORDS.has(next)) add(`p:${word} ${next}`, WEIGHT.pair);
    const padded = `<${word}>`;
    for (const n of GRAM_SIZES) {
      for (let s = 0; s + n <= padded.length; s++) add(`g:${padded.slice(s, s + n)}`, WEIGHT.gram);
    }
  });
  const vector = new Float64Array(dimensions);
  for (const [feature, { n, weight }] of counts) {
    const h = fnv1a(feature);
    // Sublinear tf: a word said ten times is more present than once, not ten times more.
    const value = weight * (1 + Math.log(n));
    vector[h % dimensions]! += mix(h) & 1 ? value : -value;
  }
  return l2Normalize(vector);
}

/** FNV-1a over UTF-16 code units: the same number in workerd and Node. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: the sign comes from bits unrelated to those that picked the dimension. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
