import { AppError } from "../../../lib/errors";
import type { Chunk } from "./chunk";
import { fullText, type Page } from "./pages";

export type ChunkSlice = Pick<Chunk, "index" | "pageNumber" | "text" | "pageStart" | "pageEnd">;

export interface ReconstructOptions {
  /**
   * The document's page count: pages 1..pageCount are returned, those without chunks (blank pages) as "". Without
   * it only pages that have chunks are returned, in reading order.
   */
  pageCount?: number;
}

/**
 * The document's text rebuilt from its chunks (any order): overlaps are dropped using the page offsets and pages
 * are joined as `fullText` joins them. For pages that are not blank the result is exact; a blank page (no chunks)
 * comes back as "" — extraction already normalises such pages to "", so for extracted documents with `pageCount`
 * the whole text is exact. Missing or inconsistent chunks are an internal error, never a silently wrong text.
 */
export function reconstructDocument(chunks: readonly ChunkSlice[], options: ReconstructOptions = {}): { text: string; pages: Page[] } {
  // Parts are joined once per page: growing one string and comparing its tail is quadratic on long texts.
  const byPage = new Map<number, { parts: string[]; last: ChunkSlice }>();
  for (const chunk of [...chunks].sort((a, b) => a.index - b.index)) {
    const page = byPage.get(chunk.pageNumber);
    const end = page?.last.pageEnd ?? 0;
    const overlap = end - chunk.pageStart;
    // The repeated part must be the previous chunk's own tail, character for character.
    const repeated = page ? page.last.text.slice(chunk.pageStart - page.last.pageStart) : "";
    const consistent =
      chunk.text.length === chunk.pageEnd - chunk.pageStart &&
      overlap >= 0 &&
      chunk.pageEnd >= end &&
      (!page || chunk.pageStart >= page.last.pageStart) &&
      chunk.text.startsWith(repeated);
    if (!consistent) {
      throw new AppError("internal", "The document's chunks are missing or inconsistent", {
        pageNumber: chunk.pageNumber,
        chunkIndex: chunk.index,
      });
    }
    if (page) {
      page.parts.push(chunk.text.slice(overlap));
      page.last = chunk;
    } else byPage.set(chunk.pageNumber, { parts: [chunk.text], last: chunk });
  }
  const { pageCount } = options;
  if (pageCount !== undefined && [...byPage.keys()].some((n) => n < 1 || n > pageCount)) {
    throw new AppError("internal", `A chunk's page number is outside the document's ${pageCount} pages`);
  }
  const numbers = pageCount === undefined ? [...byPage.keys()] : Array.from({ length: pageCount }, (_, i) => i + 1);
  const pages = numbers.map((pageNumber) => ({ pageNumber, text: byPage.get(pageNumber)?.parts.join("") ?? "" }));
  return { text: fullText(pages), pages };
}
