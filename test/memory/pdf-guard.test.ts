import { deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { extractDocument } from "../../src/services/memory/documents/extract";
import { checkPdfStreams, MAX_PDF_INFLATED_BYTES } from "../../src/services/memory/documents/pdf-guard";
import { compressedRun, concat, contentStream, latin1, lzwBomb, makePagePdf, makePdf, type PdfObject } from "../support/pdf";

const MiB = 1024 * 1024;

function refusal(bytes: Uint8Array): AppError {
  const started = performance.now();
  let err: unknown;
  try {
    checkPdfStreams(bytes);
  } catch (e) {
    err = e;
  }
  expect(performance.now() - started).toBeLessThan(3_000);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("unprocessable");
  return err as AppError;
}

const tooLarge = { reason: "too_large_when_decompressed", limit: MAX_PDF_INFLATED_BYTES };
const pageWith = (dict: string, data: Uint8Array, extra?: PdfObject[]) => makePagePdf({ content: { dict, data }, extra });
const hex = (data: Uint8Array) => latin1(`${Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("")}>`);

function ascii85(data: Uint8Array): Uint8Array {
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 4) {
    const n = Math.min(4, data.length - i);
    let v = 0;
    for (let k = 0; k < 4; k++) v = v * 256 + (k < n ? data[i + k]! : 0);
    if (n === 4 && v === 0) {
      out.push("z");
      continue;
    }
    const group: string[] = [];
    for (let k = 0; k < 5; k++) {
      group.unshift(String.fromCharCode(33 + (v % 85)));
      v = Math.floor(v / 85);
    }
    out.push(group.slice(0, n + 1).join(""));
  }
  return latin1(`${out.join("")}~>`);
}

/** Everything DecompressionStream("deflate") yields for `data`, or its error. */
async function zlibInflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("checkPdfStreams: every way to hide a decompression bomb is measured", () => {
  /** 200 MiB of spaces as a zlib stream: ~200 KB. */
  let spaces: Uint8Array;
  beforeAll(async () => {
    spaces = await compressedRun(200 * MiB);
    expect(spaces.length).toBeLessThan(400_000);
  }, 60_000);

  it("a Flate stream however its filter is spelled: array, abbreviation (/F wins over /Filter), #-escape, pass-through filters", () => {
    for (const dict of [
      "/Filter /FlateDecode",
      "/Filter [/FlateDecode]",
      "/Filter /ASCIIHexDecode /F /Fl",
      "/Filter /Fl#61teDecode",
      "/Filter [/Crypt /NoSuchFilter /FlateDecode] /DecodeParms [null null null]",
      "/Filter /FlateDecode /Length 10", // no `endstream` there: pdf.js searches for it and reads everything
    ]) {
      expect(refusal(pageWith(dict, spaces)).details, dict).toEqual(tooLarge);
    }
  });

  it("Flate behind an ASCII stage, and Flate twice", () => {
    expect(refusal(pageWith("/Filter [/AHx /Fl]", hex(spaces))).details).toEqual(tooLarge);
    expect(refusal(pageWith("/Filter [/ASCII85Decode /FlateDecode]", ascii85(spaces))).details).toEqual(tooLarge);
    expect(refusal(pageWith("/Filter [/FlateDecode /FlateDecode]", deflateSync(spaces))).details).toEqual(tooLarge);
  });

  it("a deflate stream zlib refuses but pdf.js inflates (an empty stored block with NLEN 0 first)", async () => {
    const lenient = concat([Uint8Array.of(0x78, 0x9c, 0x00, 0, 0, 0, 0), spaces.subarray(2, -4)]);
    await expect(zlibInflate(lenient)).rejects.toThrow();
    expect(refusal(pageWith("/Filter /FlateDecode", lenient)).details).toEqual(tooLarge);
  });

  it("LZW, RunLength and predictor bombs", () => {
    const lzw = lzwBomb(200 * MiB);
    expect(lzw.length).toBeLessThan(200_000);
    expect(refusal(pageWith("/Filter /LZWDecode", lzw)).details).toEqual(tooLarge);
    const runs = new Uint8Array(MiB).map((_, i) => (i % 2 ? 0x20 : 129)); // 128 spaces per 2 bytes
    expect(refusal(pageWith("/Filter /RunLengthDecode", runs)).details).toEqual(tooLarge);
    // A PNG predictor row is as wide as /Columns says, however little data there is.
    const rows = deflateSync(new Uint8Array(64));
    expect(refusal(pageWith("/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 100000000 >>", rows)).details).toEqual(tooLarge);
  });

  it("a dictionary with an `obj` inside it: every reading pdf.js could make is measured", () => {
    // Read from "7 0 obj" the stream has no filter; read from "4 0 obj" (where the xref points) it is Flate.
    expect(refusal(pageWith("/F /Fl /Junk 7 0 obj << /Type /Foo", spaces)).details).toEqual(tooLarge);
  });

  it("the budget is for the whole document, not per stream", async () => {
    const four = await compressedRun(4 * MiB);
    const streams = Array.from({ length: 9 }, () => ({ dict: "/Filter /FlateDecode", data: four }));
    expect(checkPdfStreams(pageWith("/Filter /FlateDecode", four, streams.slice(2))).decodedBytes).toBe(32 * MiB);
    expect(refusal(pageWith("/Filter /FlateDecode", four, streams)).details).toEqual(tooLarge);
  });

  it("refuses what it cannot measure: streams inside object streams, Brotli, filters given by reference", () => {
    const inner = "<< /Length 5 /Filter /FlateDecode >>\nstream\nhello\nendstream";
    const header = "7 0 ";
    const objectStream = {
      dict: `/Type /ObjStm /N 1 /First ${header.length} /Filter /FlateDecode`,
      data: deflateSync(latin1(header + inner)),
    };
    expect(refusal(makePagePdf({ text: "x", extra: [objectStream] })).details).toEqual({ reason: "corrupt" });
    expect(refusal(pageWith("/Filter /BrotliDecode", spaces)).details).toEqual({ reason: "unsupported_compression" });
    expect(refusal(pageWith("/Filter 6 0 R", spaces, ["/FlateDecode"])).details).toEqual({ reason: "unsupported_compression" });
  });
});

describe("checkPdfStreams: encrypted files", () => {
  it("refuses every encrypted PDF before pdf.js opens it: encrypted streams cannot be measured", () => {
    expect(refusal(makePdf(["segredo"], { encrypted: true })).details).toEqual({ reason: "encrypted" });
  });

  it("does not mistake another key that starts with /Encrypt for encryption", () => {
    const pdf = makePagePdf({ content: { dict: "/EncryptMetadata false", data: latin1(contentStream("sem senha")) } });
    expect(() => checkPdfStreams(pdf)).not.toThrow();
  });
});

describe("checkPdfStreams: documents it must let through", () => {
  it("measures a compressed PDF's content streams exactly", () => {
    const pages = ["Cláusula 1 – Do objeto", "Cláusula 2 – Do valor: R$ 12.500,00", ""];
    const report = checkPdfStreams(makePdf(pages, { compress: true }));
    expect(report).toEqual({ measured: 3, skippedImages: 0, decodedBytes: pages.reduce((n, p) => n + contentStream(p).length, 0) });
  });

  it("skips a large Flate image pdf.js only paints, but not the same image used as page content", async () => {
    const pixels = await compressedRun(48 * MiB, 0xff); // 4096 × 4096 RGB, white
    const image = {
      dict: "/Type /XObject /Subtype /Image /Width 4096 /Height 4096 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
      data: pixels,
    };
    const content = {
      dict: "",
      data: latin1(`${contentStream("Proposta comercial com captura de tela")}\nq 100 0 0 100 72 400 cm /Im1 Do Q`),
    };
    const pdf = makePagePdf({ content, resources: "/XObject << /Im1 6 0 R >>", extra: [image] });
    expect(checkPdfStreams(pdf)).toMatchObject({ skippedImages: 1 });
    const { pages } = await extractDocument(pdf, "application/pdf");
    expect(pages[0]!.text).toBe("Proposta comercial com captura de tela");

    // The same stream as the page's /Contents would be decoded: it counts.
    expect(refusal(makePagePdf({ content: image })).details).toEqual(tooLarge);
    // ...and so does an image referenced from anywhere pdf.js may decode it.
    const alsoFont = makePagePdf({ content, resources: "/XObject << /Im1 6 0 R >>", extra: [image, "<< /FontFile2 6 0 R >>"] });
    expect(refusal(alsoFont).details).toEqual(tooLarge);
  }, 30_000);

  it("measures what pdf.js reads where zlib gives up: the lenient stream above is a page pdf.js extracts", async () => {
    const text = contentStream("Texto lido pelo pdf.js");
    const lenient = concat([Uint8Array.of(0x78, 0x9c, 0x00, 0, 0, 0, 0), deflateSync(latin1(text)).subarray(2, -4)]);
    await expect(zlibInflate(lenient)).rejects.toThrow();
    const pdf = pageWith("/Filter /FlateDecode", lenient);
    expect(checkPdfStreams(pdf).decodedBytes).toBe(text.length);
    const { pages } = await extractDocument(pdf, "application/pdf");
    expect(pages[0]!.text).toBe("Texto lido pelo pdf.js");
  });
});
