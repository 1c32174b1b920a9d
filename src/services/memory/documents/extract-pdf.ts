import { AppError } from "../../../lib/errors";
import { checkPdfStreams } from "./pdf-guard";

/** Beyond this a PDF is a book or a scan dump, not a contract; it would also hold the queue consumer for minutes. */
export const MAX_PDF_PAGES = 500;

/**
 * The raw text of each page, in order. unpdf (pdf.js, ~2.4 MiB) is imported on first use so only the code path
 * that processes documents pays for loading it. Every pdf.js failure becomes an AppError naming the reason.
 *
 * pdf.js decodes each stream whole into memory, so the streams are measured first (`checkPdfStreams`): a file that
 * decompresses past the budget is refused as unprocessable instead of taking the isolate down on every attempt.
 */
export async function extractPdfPages(bytes: Uint8Array): Promise<string[]> {
  checkPdfStreams(bytes);
  const { getDocumentProxy, extractText } = await import("unpdf");
  // pdf.js takes ownership of (detaches) the buffer it is given; the caller keeps its bytes.
  const pdf = await getDocumentProxy(bytes.slice(), { verbosity: 0 }).catch((err: unknown) => {
    throw pdfError(err);
  });
  try {
    if (pdf.numPages > MAX_PDF_PAGES) {
      throw new AppError("payload_too_large", `The PDF has ${pdf.numPages} pages; at most ${MAX_PDF_PAGES} are accepted`, {
        reason: "too_many_pages",
        pages: pdf.numPages,
        limit: MAX_PDF_PAGES,
      });
    }
    const { text } = await extractText(pdf, { mergePages: false }).catch((err: unknown) => {
      throw pdfError(err);
    });
    return text;
  } finally {
    await pdf.loadingTask.destroy().catch(() => {});
  }
}

function pdfError(err: unknown): AppError {
  const name = (err as { name?: unknown })?.name;
  if (name === "PasswordException") {
    return new AppError(
      "unprocessable",
      "The PDF is password-protected; upload a copy without a password",
      { reason: "encrypted" },
      {
        cause: err,
      },
    );
  }
  if (name === "InvalidPDFException") {
    return new AppError("unprocessable", "The PDF is corrupt or truncated", { reason: "corrupt" }, { cause: err });
  }
  return new AppError("unprocessable", "The PDF could not be read", { reason: "unreadable" }, { cause: err });
}
