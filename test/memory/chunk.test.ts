import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { findBoundaries, Level } from "../../src/services/memory/documents/boundaries";
import { type Chunk, type ChunkOptions, chunkDocument, chunkText, DEFAULT_CHUNK_OPTIONS } from "../../src/services/memory/documents/chunk";
import { extractDocument } from "../../src/services/memory/documents/extract";
import { fullText, isBlank, PAGE_SEPARATOR, type Page } from "../../src/services/memory/documents/pages";
import { reconstructDocument } from "../../src/services/memory/documents/reconstruct";
import { makePdf } from "../support/pdf";
import { optionsArb, pagesArb } from "./chunk-arbitraries";

const SEED = Number(process.env.CHUNK_SEED ?? 20261127);
const RUNS = Number(process.env.CHUNK_RUNS ?? 300);
const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);
const words = (s: string) => s.split(/\s+/).filter(Boolean).join(" ");
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The length of the run around [from, to) of characters that are all whitespace or all not; counted up to `cap`. */
function runLength(text: string, from: number, to: number, space: boolean, cap = Infinity): number {
  const same = (i: number) => i >= 0 && i < text.length && /\s/.test(text[i]!) === space;
  let start = from;
  let end = to;
  while (end - start < cap && same(start - 1)) start--;
  while (end - start < cap && same(end)) end++;
  return end - start;
}

/**
 * Every guarantee of chunkDocument, checked against the pages it was given. Violations are collected and asserted
 * once: a run cut into hundreds of pieces would otherwise cost millions of expect() calls.
 */
function checkChunks(pages: Page[], chunks: Chunk[], opts: Required<ChunkOptions>) {
  const text = fullText(pages);
  const violations: string[] = [];
  const check = (ok: boolean, what: string, c: Chunk) => {
    if (!ok) violations.push(`${what}: chunk ${c.index} [${c.pageStart}, ${c.pageEnd}) of page ${c.pageNumber}`);
  };
  expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
  let offset = 0;
  let cursor = 0;
  for (const page of pages) {
    const own = chunks.filter((c) => c.pageNumber === page.pageNumber);
    expect(own).toEqual(chunks.slice(cursor, cursor + own.length)); // a page's chunks are consecutive, in order
    cursor += own.length;
    if (isBlank(page.text)) expect(own).toEqual([]);
    else {
      expect(own[0]!.pageStart).toBe(0);
      expect(own.at(-1)!.pageEnd).toBe(page.text.length);
    }
    const max = opts.maxChars;
    own.forEach((c, i) => {
      check(c.text === page.text.slice(c.pageStart, c.pageEnd), "text is the page's slice", c);
      check(c.start === offset + c.pageStart && c.end === offset + c.pageEnd, "document offsets", c);
      check(text.slice(c.start, c.end) === c.text, "text is the document's slice", c);
      // Never longer than maxChars: Postgres refuses a tsvector over 1 MB, a 800 KB chunk is no search hit.
      check(c.text.length <= max, `longer than ${max}`, c);
      // Blank only where whitespace (after a cut inside a run) and the next word cannot share a chunk.
      if (c.text.trim() === "") {
        const wordAt = c.pageStart + runLength(page.text, c.pageStart, c.pageStart, true);
        const word = runLength(page.text, wordAt, wordAt, false, max + 1);
        check(wordAt === page.text.length || wordAt - c.pageStart + word > max, "blank though the next word fits", c);
      }
      for (const cut of [c.pageStart, c.pageEnd]) {
        // Inside a word only when the word is longer than maxChars (base64, minified JSON)...
        const insideWord = !isSpace(page.text[cut - 1]) && !isSpace(page.text[cut]);
        check(!insideWord || runLength(page.text, cut, cut, false, max + 1) > max, `cut ${cut} inside a word that fits`, c);
        // ...and never inside a surrogate pair.
        check(!(isHigh(page.text.charCodeAt(cut - 1)) && isLow(page.text.charCodeAt(cut))), `cut ${cut} splits a pair`, c);
      }
      const previous = own[i - 1];
      if (previous) {
        const overlap = previous.pageEnd - c.pageStart;
        check(overlap >= 0, "gap before", c); // every character is covered
        check(overlap <= opts.overlapChars, "overlap too long", c);
        check(c.pageEnd > previous.pageEnd, "no progress", c);
        const previousCore = i > 1 ? own[i - 2]!.pageEnd : 0;
        check(c.pageStart > previousCore, "overlap reaches an older chunk", c); // overlap is from the previous only
      }
    });
    offset += page.text.length + PAGE_SEPARATOR.length;
  }
  expect(cursor).toBe(chunks.length);
  expect(violations).toEqual([]);
}

/** What reconstruction promises: the text exactly, blank pages coming back as "". */
const expectedPages = (pages: Page[]) => pages.map((p) => ({ pageNumber: p.pageNumber, text: isBlank(p.text) ? "" : p.text }));

describe("chunkDocument + reconstructDocument (properties)", () => {
  it("chunks keep every guarantee for arbitrary pages and sizes", () => {
    fc.assert(
      fc.property(pagesArb, optionsArb, (pages, opts) => checkChunks(pages, chunkDocument(pages, opts), opts)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("chunks keep every guarantee with the default sizes", () => {
    fc.assert(
      fc.property(pagesArb, (pages) => checkChunks(pages, chunkDocument(pages), DEFAULT_CHUNK_OPTIONS)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("reconstruct(chunk(pages)) is fullText(pages) exactly, from chunks in any order", () => {
    const input = pagesArb.chain((pages) =>
      fc.tuple(fc.constant(pages), optionsArb).chain(([p, opts]) => {
        const chunks = chunkDocument(p, opts);
        return fc.tuple(fc.constant(p), fc.shuffledSubarray(chunks, { minLength: chunks.length, maxLength: chunks.length }));
      }),
    );
    fc.assert(
      fc.property(input, ([pages, shuffled]) => {
        const expected = expectedPages(pages);
        expect(reconstructDocument(shuffled, { pageCount: pages.length })).toEqual({ text: fullText(expected), pages: expected });
        if (!pages.some((p) => isBlank(p.text) && p.text !== "")) {
          expect(reconstructDocument(shuffled, { pageCount: pages.length }).text).toBe(fullText(pages));
        }
        // Without the page count only pages that have chunks come back.
        const withText = expected.filter((p) => p.text !== "");
        expect(reconstructDocument(shuffled)).toEqual({ text: fullText(withText), pages: withText });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("sentence boundaries", () => {
  const levelsAfter = (text: string) => {
    const { positions, levels } = findBoundaries(text);
    return positions.map((p, i) => `${levels[i]}:${text.slice(p).split(/\s/)[0]}`);
  };

  it("end sentences at . ! ? ; but not inside amounts, dates, decimals or after abbreviations", () => {
    const text = "O Sr. Silva pagou R$ 1.250,00 em 12.03.2026. A taxa é 3.5 ao mês! Fim? Sim; talvez.";
    const sentences = levelsAfter(text)
      .filter((l) => Number(l.split(":")[0]) === Level.sentence)
      .map((l) => l.split(":")[1]);
    expect(sentences).toEqual(["A", "Fim?", "Sim;", "talvez."]);
  });

  it("do not end at initials, lower-case continuations or numbered items; do after closing quotes", () => {
    const text = "J. Silva leu, p. ex. o valor. “Pago.” Depois etc. e mais.\n1. Objeto\nE.g. Dra. Ana.";
    const sentences = levelsAfter(text)
      .filter((l) => Number(l.split(":")[0]) === Level.sentence)
      .map((l) => l.split(":")[1]);
    expect(sentences).toEqual(["“Pago.”", "Depois", "1."]);
  });

  it("rank headings over paragraphs over sentences over lines over words", () => {
    expect(levelsAfter("Fim.\n\n## Título\nlinha\n\nPar. Frase.\nLinha")).toEqual([
      `${Level.heading}:##`,
      `${Level.word}:Título`,
      `${Level.line}:linha`,
      `${Level.paragraph}:Par.`,
      `${Level.word}:Frase.`,
      `${Level.sentence}:Linha`,
    ]);
  });
});

describe("chunkDocument (examples)", () => {
  it("keeps a contract's amount clause whole, in one chunk, with its page number", async () => {
    const filler = (topic: string) =>
      Array.from({ length: 10 }, (_, i) => `${topic} ${i + 1}: as partes acordam que as obrigações serão cumpridas no prazo.`).join(" ");
    const clause = "O valor total do contrato é de R$ 12.500,00 (doze mil e quinhentos reais), a ser pago pelo Sr. João em 12.03.2026.";
    const pdf = makePdf([
      `CONTRATO DE PRESTAÇÃO DE SERVIÇOS\n${filler("Objeto")}\n${filler("Prazo")}`,
      `Cláusula 5 – Do valor\n${filler("Condição")} ${clause} ${filler("Reajuste")}`,
      `Cláusula 9 – Do foro\n${filler("Foro")}`,
    ]);
    const { pages } = await extractDocument(pdf, "application/pdf");
    const chunks = chunkDocument(pages);
    checkChunks(pages, chunks, DEFAULT_CHUNK_OPTIONS);
    expect(chunks.length).toBeGreaterThan(3);
    const withAmount = chunks.filter((c) => c.text.includes("12.500,00"));
    expect(withAmount.length).toBeGreaterThanOrEqual(1);
    for (const chunk of withAmount) {
      expect(chunk.pageNumber).toBe(2);
      expect(words(chunk.text)).toContain(words(clause));
    }
    expect(reconstructDocument(chunks, { pageCount: pages.length }).text).toBe(fullText(pages));
  });

  it("starts a chunk at a Markdown heading without repeating the previous section", () => {
    const section = (title: string) => `## ${title}\n\n${`Texto sobre ${title.toLowerCase()} com detalhes. `.repeat(8).trim()}`;
    const text = ["# Proposta", section("Escopo"), section("Prazos"), section("Valores")].join("\n\n");
    const chunks = chunkText(text, { targetChars: 300, maxChars: 450, overlapChars: 60 });
    // The lone title is too short for a chunk of its own; each following section opens a chunk, with no overlap.
    expect(chunks.map((c) => c.text.split("\n")[0])).toEqual(["# Proposta", "## Prazos", "## Valores"]);
    for (const c of chunks.slice(1)) expect(c.pageStart).toBe(chunks[c.index - 1]!.pageEnd);
  });

  it("overlaps with whole sentences of the previous chunk when they fit", () => {
    const text = Array.from({ length: 40 }, (_, i) => `Frase número ${i + 1} do documento.`).join(" ");
    const chunks = chunkText(text, { targetChars: 200, maxChars: 300, overlapChars: 60 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks.slice(1)) {
      expect(c.text).toMatch(/^Frase número \d+ do documento\. /);
      expect(chunks[c.index - 1]!.pageEnd - c.pageStart).toBeGreaterThan(0);
    }
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/documento\. $/);
  });

  it("cuts a word longer than maxChars at maxChars, and goes on with the text after it", () => {
    const long = "a".repeat(3000);
    const text = `Início do texto. ${long} fim do texto.`;
    const chunks = chunkText(text, { targetChars: 100, maxChars: 150, overlapChars: 30 });
    // Before the word, 20 pieces of exactly 150, then the rest of the text.
    expect(chunks.map((c) => c.text.length)).toEqual([17, ...Array(20).fill(150), 14]);
    expect(chunks.at(-1)!.text).toBe(" fim do texto.");
    expect(reconstructDocument(chunks).text).toBe(text);
  });

  it("splits 2.4 MB of minified JSON or base64 (no whitespace) into chunks of maxChars, quickly", () => {
    const json = JSON.stringify(Array.from({ length: 40_000 }, (_, i) => ({ id: i, name: `cliente-${i}`, ok: i % 2 === 0 })));
    let binary = "";
    for (let i = 0; i < 1_800_000; i += 10_000) binary += String.fromCharCode(...Array.from({ length: 10_000 }, (_, k) => (i + k) % 251));
    const base64 = btoa(binary); // 2.4 MB
    for (const blob of [json, base64]) {
      expect(blob.length).toBeGreaterThan(1_500_000);
      expect(blob).not.toMatch(/\s/);
      const started = performance.now();
      const chunks = chunkText(blob);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(Math.max(...chunks.map((c) => c.text.length))).toBe(DEFAULT_CHUNK_OPTIONS.maxChars);
      expect(chunks.length).toBe(Math.ceil(blob.length / DEFAULT_CHUNK_OPTIONS.maxChars));
      expect(reconstructDocument(chunks).text).toBe(blob);
    }
  });

  it("cuts a long run between graphemes when it can, never inside a surrogate pair", () => {
    const opts = { targetChars: 100, maxChars: 101, overlapChars: 20 };
    const cases = {
      emoji: "😀".repeat(500), // each is two UTF-16 units: 101 would split one
      combining: "e\u0301".repeat(500), // "é" decomposed: a cut between e and the accent would orphan the accent
      family: "👩‍👩‍👧".repeat(100), // 8 units per grapheme, joined by ZWJ
      zalgo: `a${"\u0301".repeat(500)}`, // one grapheme longer than maxChars: cut by code point
    };
    for (const [name, text] of Object.entries(cases)) {
      const chunks = chunkText(text, opts);
      expect(reconstructDocument(chunks).text, name).toBe(text);
      for (const c of chunks) {
        expect(c.text.length, name).toBeLessThanOrEqual(opts.maxChars);
        expect(c.text, name).not.toMatch(LONE_SURROGATE);
      }
      if (name === "combining") for (const c of chunks) expect(c.text.startsWith("e"), name).toBe(true);
      if (name === "family") for (const c of chunks) expect(c.text.startsWith("👩") && c.text.endsWith("👧"), name).toBe(true);
    }
  });

  it("a whitespace run longer than maxChars comes in pieces of maxChars, as blank chunks", () => {
    const text = `abc${" ".repeat(400)}def`;
    const chunks = chunkText(text, { targetChars: 100, maxChars: 150, overlapChars: 30 });
    expect(chunks.map((c) => c.text.length)).toEqual([150, 150, 106]);
    expect(chunks[1]!.text.trim()).toBe("");
    expect(reconstructDocument(chunks).text).toBe(text);
  });

  it("returns nothing for blank pages and one chunk for a short message", () => {
    expect(
      chunkDocument([
        { pageNumber: 1, text: " \n\n\t" },
        { pageNumber: 2, text: "" },
      ]),
    ).toEqual([]);
    expect(chunkText("Oi, qual o valor do contrato?")).toEqual([
      { index: 0, pageNumber: 1, text: "Oi, qual o valor do contrato?", start: 0, end: 29, pageStart: 0, pageEnd: 29 },
    ]);
  });

  it("offsets count the page separators", () => {
    const chunks = chunkDocument([
      { pageNumber: 1, text: "um" },
      { pageNumber: 2, text: "   " },
      { pageNumber: 3, text: "três" },
    ]);
    expect(chunks.map(({ pageNumber, start, end }) => ({ pageNumber, start, end }))).toEqual([
      { pageNumber: 1, start: 0, end: 2 },
      { pageNumber: 3, start: 9, end: 13 },
    ]);
  });

  it("rejects inconsistent sizes", () => {
    for (const opts of [
      { targetChars: 0 },
      { targetChars: 900, maxChars: 800 },
      { overlapChars: 800 },
      { overlapChars: -1 },
      { targetChars: 1.5 },
    ]) {
      expect(() => chunkText("x", opts), JSON.stringify(opts)).toThrow(AppError);
    }
  });

  it("is linear: a 2 MB text chunks quickly", () => {
    const text = "Parágrafo com algumas frases. Outra frase aqui; e mais uma!\n\n".repeat(35_000);
    const started = performance.now();
    const chunks = chunkText(text);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(chunks.length).toBeGreaterThan(2_000);
    expect(reconstructDocument(chunks).text).toBe(text);
  });
});
