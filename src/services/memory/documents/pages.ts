/** One page of extracted text; text and Markdown documents are a single page 1. */
export interface Page {
  pageNumber: number;
  text: string;
}

/**
 * Pages are joined with a blank line so a document's text reads naturally and chunk offsets (`Chunk.start/end`)
 * have one fixed frame of reference that `reconstructDocument` reproduces.
 */
export const PAGE_SEPARATOR = "\n\n";

export const fullText = (pages: readonly Page[]): string => pages.map((p) => p.text).join(PAGE_SEPARATOR);

/** A page with nothing to search (empty or whitespace only) yields no chunks. */
export const isBlank = (text: string): boolean => text.trim() === "";
