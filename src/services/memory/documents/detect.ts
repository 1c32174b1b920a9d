export const ACCEPTED_DOCUMENT_TYPES = ["application/pdf", "text/plain", "text/markdown"] as const;
export type DocumentType = (typeof ACCEPTED_DOCUMENT_TYPES)[number];

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"
/** Readers accept junk before the header (Acrobat looks within the first KiB); we only do when the sender said PDF. */
const PDF_HEADER_WINDOW = 1024;
const MARKDOWN_MIMES = new Set(["text/markdown", "text/x-markdown"]);
/** Declared types that say nothing against text: a client or WhatsApp that does not know sends octet-stream. */
const TEXT_COMPATIBLE_MIMES = new Set(["", "text/plain", "application/octet-stream", ...MARKDOWN_MIMES]);
const MARKDOWN_EXTENSIONS = new Set(["md", "markdown"]);

/**
 * What a document really is, from its bytes first: the declared type and file name only choose between text and
 * Markdown, and can veto (a declared PDF that is not one, HTML sent as text/html). Null means 415.
 */
export function detectDocumentType(bytes: Uint8Array, declaredMime: string | undefined, filename: string | undefined): DocumentType | null {
  if (bytes.length === 0) return null;
  const mime = (declaredMime ?? "").split(";")[0]!.trim().toLowerCase();
  const ext = extension(filename);
  const saysPdf = mime === "application/pdf" || ext === "pdf";
  if (pdfHeaderAt(bytes, 0) || (saysPdf && findPdfHeader(bytes))) return "application/pdf";
  if (saysPdf || !TEXT_COMPATIBLE_MIMES.has(mime) || !isUtf8Text(bytes)) return null;
  return MARKDOWN_MIMES.has(mime) || MARKDOWN_EXTENSIONS.has(ext) ? "text/markdown" : "text/plain";
}

const extension = (filename: string | undefined) => {
  const dot = filename?.lastIndexOf(".") ?? -1;
  return dot >= 0 ? filename!.slice(dot + 1).toLowerCase() : "";
};

const pdfHeaderAt = (bytes: Uint8Array, at: number) => PDF_MAGIC.every((b, i) => bytes[at + i] === b);

function findPdfHeader(bytes: Uint8Array): boolean {
  const last = Math.min(bytes.length - PDF_MAGIC.length, PDF_HEADER_WINDOW);
  for (let at = 0; at <= last; at++) if (pdfHeaderAt(bytes, at)) return true;
  return false;
}

/**
 * Valid UTF-8 and no NUL is what Postgres text needs; executables, archives and UTF-16 fail here. Stray control
 * characters beyond one per thousand mean a binary format that happens to decode (tab, newlines, form feed and
 * escape are common in real text files).
 */
export function isUtf8Text(bytes: Uint8Array): boolean {
  let controls = 0;
  for (const b of bytes) {
    if (b === 0) return false;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d && b !== 0x1b) || b === 0x7f) controls++;
  }
  if (controls > bytes.length / 1000) return false;
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
