import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { extractDocument } from "../../src/services/memory/documents/extract";
import { MAX_PDF_PAGES } from "../../src/services/memory/documents/extract-pdf";
import { normalizeText } from "../../src/services/memory/documents/normalize";
import { MAX_PDF_INFLATED_BYTES } from "../../src/services/memory/documents/pdf-guard";
import { compressedRun, makePagePdf, makePdf } from "../support/pdf";

/** Wrapped PDF lines come back as line breaks: compare texts as words. */
const words = (s: string) => s.split(/\s+/).filter(Boolean).join(" ");
const utf8 = (s: string) => new TextEncoder().encode(s);

async function extractionError(bytes: Uint8Array): Promise<AppError> {
  const err = await extractDocument(bytes, "application/pdf").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("extractDocument: PDF (unpdf inside workerd)", () => {
  const pages = [
    "CONTRATO DE PRESTAÇÃO DE SERVIÇOS\nContratante: Açaí & Cia. Ltda. (São Paulo)\nCláusula 1 – Do objeto: manutenção.",
    "Cláusula 2 – Do valor\nO valor total do contrato é de R$ 12.500,00 (doze mil e quinhentos reais), pago em 12.03.2026.",
    `Cláusula 3 – Disposições gerais\n${"A rescisão deverá ser comunicada por escrito com antecedência mínima de trinta dias. ".repeat(6)}`,
  ];

  it("returns every page in order, numbered from 1, with accents, symbols and escaped parentheses intact", async () => {
    const started = Date.now();
    const { pages: out } = await extractDocument(makePdf(pages), "application/pdf");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out.map((p) => p.pageNumber)).toEqual([1, 2, 3]);
    expect(out.map((p) => words(p.text))).toEqual(pages.map(words));
    expect(out[1]!.text).toContain("R$ 12.500,00 (doze mil e quinhentos reais)");
    for (const page of out) expect(page.text).toBe(normalizeText(page.text));
  });

  it("reads Flate-compressed content streams (what almost every real PDF has) exactly like plain ones", async () => {
    const compressed = makePdf(pages, { compress: true });
    expect(new TextDecoder("latin1").decode(compressed)).toContain("/FlateDecode");
    const plain = await extractDocument(makePdf(pages), "application/pdf");
    expect(await extractDocument(compressed, "application/pdf")).toEqual(plain);
    expect(plain.pages.map((p) => words(p.text))).toEqual(pages.map(words));
  });

  it("refuses a decompression bomb (200 MiB of spaces in a ~200 KB Flate stream) quickly, before pdf.js", async () => {
    const bomb = makePagePdf({ content: { dict: "/Filter /FlateDecode", data: await compressedRun(200 * 1024 * 1024) } });
    expect(bomb.length).toBeLessThan(400_000);
    const started = performance.now();
    const err = await extractionError(bomb);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(err.code).toBe("unprocessable");
    expect(err.details).toEqual({ reason: "too_large_when_decompressed", limit: MAX_PDF_INFLATED_BYTES });
    expect(err.message).toMatch(/decompresses to more than 32 MiB/);
  }, 30_000);

  it("keeps the line structure of a page", async () => {
    const { pages: out } = await extractDocument(makePdf(["primeira linha\nsegunda linha\nterceira"]), "application/pdf");
    expect(out[0]!.text.split("\n")).toEqual(["primeira linha", "segunda linha", "terceira"]);
  });

  it("does not detach the caller's buffer", async () => {
    const bytes = makePdf(["olá"]);
    await extractDocument(bytes, "application/pdf");
    expect(bytes.byteLength).toBeGreaterThan(0);
  });

  it("returns a page without text as an empty page", async () => {
    const { pages: out } = await extractDocument(makePdf(["um", "", "três"]), "application/pdf");
    expect(out).toEqual([
      { pageNumber: 1, text: "um" },
      { pageNumber: 2, text: "" },
      { pageNumber: 3, text: "três" },
    ]);
  });

  it("refuses a password-protected PDF with a clear error", async () => {
    const err = await extractionError(makePdf(["segredo"], { encrypted: true }));
    expect(err.code).toBe("unprocessable");
    expect(err.details).toEqual({ reason: "encrypted" });
  });

  it("refuses corrupt and truncated PDFs with an AppError, never a raw exception", async () => {
    const whole = makePdf(["um", "dois"]);
    const truncated = [24, whole.length / 2, whole.length - 40].map((n) => whole.slice(0, Math.floor(n)));
    for (const bytes of [...truncated, utf8("%PDF-1.7\nnada aqui\n%%EOF"), utf8("%PDF-")]) {
      const err = await extractionError(bytes);
      expect(err.code).toBe("unprocessable");
      expect(err.details).toEqual({ reason: "corrupt" });
    }
  });

  it(`refuses a PDF of more than ${MAX_PDF_PAGES} pages`, async () => {
    const err = await extractionError(makePdf(Array.from({ length: MAX_PDF_PAGES + 1 }, (_, i) => `p${i}`)));
    expect(err.code).toBe("payload_too_large");
    expect(err.details).toMatchObject({ reason: "too_many_pages", pages: MAX_PDF_PAGES + 1 });
  });
});

describe("extractDocument: text and Markdown", () => {
  it("is one page 1, UTF-8 decoded, CRLF normalised, lightly cleaned", async () => {
    const raw = "\uFEFF# Título\r\n\r\nLinha com espaços   \r\nOutra\r\n\r\n\r\n\r\nFim  \r\n";
    for (const type of ["text/plain", "text/markdown"] as const) {
      expect(await extractDocument(utf8(raw), type)).toEqual({
        pages: [{ pageNumber: 1, text: "# Título\n\nLinha com espaços\nOutra\n\nFim" }],
      });
    }
  });

  it("composes decomposed accents (NFC)", async () => {
    const { pages } = await extractDocument(utf8("prestac\u0327a\u0303o"), "text/plain");
    expect(pages[0]!.text).toBe("prestação");
  });

  it("rejects invalid UTF-8 with an AppError", async () => {
    const err = await extractDocument(new Uint8Array([0x61, 0xff, 0x62]), "text/plain").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("unprocessable");
  });
});

describe("normalizeText", () => {
  it("is idempotent and leaves no CR, trailing spaces, 3+ newlines, NUL or lone surrogate", () => {
    const text = fc.string({
      unit: fc.constantFrom("a", "é", " ", "\t", "\n", "\r", "\r\n", "\f", "\u0000", "\uD800", "😀", "e\u0301", "\u00A0"),
    });
    fc.assert(
      fc.property(text, (raw) => {
        const once = normalizeText(raw);
        expect(normalizeText(once)).toBe(once);
        expect(once).not.toMatch(/\r|[^\S\n]\n|\n{3}|^\s*\n|\s$/);
        expect(once.includes("\u0000")).toBe(false);
        expect(once).toBe(once.normalize("NFC"));
        expect(once).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }),
      { numRuns: 500 },
    );
  });
});
