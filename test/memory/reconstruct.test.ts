import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { chunkDocument } from "../../src/services/memory/documents/chunk";
import { fullText } from "../../src/services/memory/documents/pages";
import { reconstructDocument } from "../../src/services/memory/documents/reconstruct";

const pages = [
  { pageNumber: 1, text: Array.from({ length: 30 }, (_, i) => `Primeira página, frase ${i}.`).join(" ") },
  { pageNumber: 2, text: "" },
  { pageNumber: 3, text: Array.from({ length: 30 }, (_, i) => `Terceira página, frase ${i}.`).join(" ") },
];
const chunks = chunkDocument(pages, { targetChars: 120, maxChars: 180, overlapChars: 40 });

describe("reconstructDocument", () => {
  it("rebuilds the text and pages from chunks stored in any order, empty pages included with pageCount", () => {
    expect(chunks.some((c, i) => i > 0 && c.pageStart < chunks[i - 1]!.pageEnd)).toBe(true); // there are overlaps
    expect(reconstructDocument([...chunks].reverse(), { pageCount: 3 })).toEqual({ text: fullText(pages), pages });
    expect(reconstructDocument(chunks).pages.map((p) => p.pageNumber)).toEqual([1, 3]);
  });

  it("works from what is stored (no global offsets needed)", () => {
    const stored = chunks.map(({ index, pageNumber, text, pageStart, pageEnd }) => ({ index, pageNumber, text, pageStart, pageEnd }));
    expect(reconstructDocument(stored, { pageCount: 3 }).text).toBe(fullText(pages));
  });

  it("refuses a missing, altered or misplaced chunk instead of returning a wrong text", () => {
    const middle = chunks.findIndex((c, i) => i > 0 && c.pageNumber === 1 && chunks[i + 1]?.pageNumber === 1);
    const cases = {
      missingFirst: chunks.slice(1),
      missingMiddle: chunks.filter((_, i) => i !== middle),
      alteredOverlap: chunks.map((c, i) => (i === middle ? { ...c, text: `X${c.text.slice(1)}` } : c)),
      wrongLength: chunks.map((c, i) => (i === middle ? { ...c, text: `${c.text}!` } : c)),
    };
    for (const [name, broken] of Object.entries(cases)) {
      expect(() => reconstructDocument(broken, { pageCount: 3 }), name).toThrow(AppError);
    }
    expect(() => reconstructDocument(chunks, { pageCount: 2 })).toThrow(/outside/);
  });

  it("returns an empty document for no chunks", () => {
    expect(reconstructDocument([])).toEqual({ text: "", pages: [] });
    expect(reconstructDocument([], { pageCount: 2 })).toEqual({
      text: "\n\n",
      pages: [
        { pageNumber: 1, text: "" },
        { pageNumber: 2, text: "" },
      ],
    });
  });
});
