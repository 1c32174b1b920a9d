import { AppError } from "../../../lib/errors";
import type { DocumentType } from "./detect";
import { extractPdfPages } from "./extract-pdf";
import { normalizeText } from "./normalize";
import type { Page } from "./pages";

export interface ExtractedDocument {
  /** Every page of the file, numbered from 1, normalised (`normalizeText`); a page without text is "". */
  pages: Page[];
}

/** The text of a document whose type `detectDocumentType` established. */
export async function extractDocument(bytes: Uint8Array, type: DocumentType): Promise<ExtractedDocument> {
  const raw = type === "application/pdf" ? await extractPdfPages(bytes) : [decodeUtf8(bytes)];
  return { pages: raw.map((text, i) => ({ pageNumber: i + 1, text: normalizeText(text) })) };
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    throw new AppError("unprocessable", "The text is not valid UTF-8", { reason: "encoding" }, { cause: err });
  }
}
