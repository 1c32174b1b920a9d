import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACCEPTED_DOCUMENT_TYPES, detectDocumentType } from "../../src/services/memory/documents/detect";
import { makePdf } from "../support/pdf";

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);
const withJunk = (head: number[], size = 256) => {
  const out = new Uint8Array(size);
  out.set(head);
  for (let i = head.length; i < size; i++) out[i] = (i * 7919) % 256;
  return out;
};

describe("detectDocumentType", () => {
  const pdf = makePdf(["Olá"]);
  const text = utf8("Contrato de prestação de serviços — valor R$ 12.500,00.\n");
  const markdown = utf8("# Proposta\n\n- Item 1\n- Item 2\n");

  it("accepts PDFs by their bytes, whatever was declared", () => {
    for (const [mime, name] of [
      ["application/pdf", "contrato.pdf"],
      [undefined, undefined],
      ["application/octet-stream", "arquivo"],
      ["text/plain", "contrato.txt"],
    ] as const) {
      expect(detectDocumentType(pdf, mime, name)).toBe("application/pdf");
    }
  });

  it("accepts a declared PDF whose header follows some junk, as readers do", () => {
    const shifted = new Uint8Array([...utf8("\r\n  "), ...pdf]);
    expect(detectDocumentType(shifted, "application/pdf", "x.pdf")).toBe("application/pdf");
    expect(detectDocumentType(shifted, undefined, "x.pdf")).toBe("application/pdf");
  });

  it("accepts UTF-8 text as plain text and tells Markdown by declared type or extension", () => {
    expect(detectDocumentType(text, "text/plain; charset=utf-8", "notas.txt")).toBe("text/plain");
    expect(detectDocumentType(text, undefined, undefined)).toBe("text/plain");
    expect(detectDocumentType(text, "application/octet-stream", "notas.log")).toBe("text/plain");
    expect(detectDocumentType(markdown, "text/markdown", "proposta")).toBe("text/markdown");
    expect(detectDocumentType(markdown, "text/x-markdown", undefined)).toBe("text/markdown");
    expect(detectDocumentType(markdown, "text/plain", "Proposta.MD")).toBe("text/markdown");
    expect(detectDocumentType(markdown, undefined, "proposta.markdown")).toBe("text/markdown");
    expect(detectDocumentType(utf8("\uFEFFcom BOM\ttab\fform feed"), "text/plain", "a.txt")).toBe("text/plain");
  });

  it("rejects a declared PDF whose bytes are not a PDF", () => {
    expect(detectDocumentType(text, "application/pdf", "contrato.pdf")).toBeNull();
    expect(detectDocumentType(text, undefined, "contrato.pdf")).toBeNull();
    expect(detectDocumentType(text, "text/plain", "contrato.pdf")).toBeNull();
  });

  it("rejects executables, archives, images, UTF-16 and binary junk, even declared as text", () => {
    const binaries = {
      exe: withJunk([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00]),
      elf: withJunk([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]),
      zip: withJunk([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]),
      gzip: withJunk([0x1f, 0x8b, 0x08, 0x00]),
      png: withJunk([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      jpeg: withJunk([0xff, 0xd8, 0xff, 0xe0]),
      utf16: bytes(0xff, 0xfe, 0x4f, 0x00, 0x6c, 0x00, 0xe1, 0x00),
      nul: utf8("texto\u0000com NUL"),
      invalidUtf8: bytes(0x4f, 0x6c, 0xe1, 0x20, 0x6d, 0x75, 0x6e, 0x64, 0x6f), // "Olá mundo" in Latin-1
      controls: utf8("abc\u0001\u0002\u0003def"),
      empty: bytes(),
    };
    for (const [name, b] of Object.entries(binaries)) {
      for (const mime of ["text/plain", "text/markdown", undefined]) {
        expect(detectDocumentType(b, mime, `${name}.txt`), `${name} as ${mime}`).toBeNull();
      }
    }
  });

  it("rejects text declared as another type (HTML, JSON, images)", () => {
    for (const mime of ["text/html", "application/json", "image/png", "application/zip"]) {
      expect(detectDocumentType(text, mime, "a.txt"), mime).toBeNull();
    }
  });

  it("answers only accepted types or null for arbitrary bytes and declarations", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.option(fc.constantFrom("application/pdf", "text/plain", "text/markdown", "application/octet-stream", "image/png", "")),
        fc.option(fc.constantFrom("a.pdf", "a.txt", "a.md", "a", ".", "")),
        (b, mime, name) => {
          const type = detectDocumentType(b, mime ?? undefined, name ?? undefined);
          if (type !== null) expect(ACCEPTED_DOCUMENT_TYPES).toContain(type);
          if (type === "text/plain" || type === "text/markdown") expect(b.includes(0)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
