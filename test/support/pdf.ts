import { deflateSync } from "node:zlib";

/** An object of a hand-written PDF: a dictionary or other value as text, or a stream (its data is binary). */
export type PdfObject = string | { dict: string; data: Uint8Array };

export interface PdfOptions {
  /** A standard security handler whose user password is not empty (see makePdf). */
  encrypted?: boolean;
  /** Content streams Flate-compressed, as almost every real PDF has them. */
  compress?: boolean;
}

/**
 * A minimal hand-written PDF for tests: one page per string, Helvetica with WinAnsiEncoding (so "ção", "é", "€" and
 * "R$ 12.500,00" survive extraction), long lines wrapped at word boundaries, one text line per source line.
 * `encrypted` adds a standard security handler whose user password is not empty (random /U), so readers must ask
 * for a password; nothing is actually encrypted, since no reader gets that far.
 */
export function makePdf(pages: string[], options: PdfOptions = {}): Uint8Array {
  const objects: PdfObject[] = [];
  const add = (object: PdfObject) => objects.push(object);
  add("<< /Type /Catalog /Pages 2 0 R >>");
  add(""); // the page tree, once its kids are known
  add(FONT);
  const kids = pages.map((text) => {
    const content = latin1(contentStream(text));
    const contents = add(options.compress ? { dict: "/Filter /FlateDecode", data: deflateSync(content) } : { dict: "", data: content });
    return add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} 0 R >>`);
  });
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  const encrypt = options.encrypted ? add(`<< /Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32)}> /P -44 >>`) : undefined;
  return writePdf(objects, encrypt ? ` /Encrypt ${encrypt} 0 R /ID [<${hex(16)}> <${hex(16)}>]` : "");
}

const FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";

/**
 * One page, `text` in Helvetica, whose content stream is `content` (data and extra dictionary entries, e.g. a
 * filter); `content` defaults to the text itself. `resources` adds entries to the page's resources and `extra`
 * objects numbered from 6 (1 catalog, 2 pages, 3 font, 4 content, 5 page).
 */
export function makePagePdf(options: { content?: PdfObject & object; resources?: string; extra?: PdfObject[]; text?: string } = {}) {
  const content = options.content ?? { dict: "", data: latin1(contentStream(options.text ?? "")) };
  const resources = `<< /Font << /F1 3 0 R >> ${options.resources ?? ""} >>`;
  return writePdf([
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
    FONT,
    content,
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources ${resources} /Contents 4 0 R >>`,
    ...(options.extra ?? []),
  ]);
}

/** Objects 1..n, object 1 the catalog, with a correct cross-reference table; a stream gets its /Length. */
export function writePdf(objects: PdfObject[], trailer = ""): Uint8Array {
  const parts: Uint8Array[] = [latin1("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")];
  let length = parts[0]!.length;
  const push = (part: Uint8Array) => {
    parts.push(part);
    length += part.length;
  };
  const offsets = objects.map((object, i) => {
    const offset = length;
    if (typeof object === "string") push(latin1(`${i + 1} 0 obj\n${object}\nendobj\n`));
    else {
      push(latin1(`${i + 1} 0 obj\n<< /Length ${object.data.length}${object.dict ? ` ${object.dict}` : ""} >>\nstream\n`));
      push(object.data);
      push(latin1("\nendstream\nendobj\n"));
    }
    return offset;
  });
  let xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) xref += `${String(offset).padStart(10, "0")} 00000 n \n`;
  push(latin1(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${trailer} >>\nstartxref\n${length}\n%%EOF\n`));
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * `size` bytes of `byte` compressed with CompressionStream, fed 1 MiB at a time so the inflated data never exists:
 * 200 MiB of spaces becomes a ~200 KB Flate stream (a decompression bomb).
 */
export async function compressedRun(size: number, byte = 0x20, format: "deflate" | "deflate-raw" = "deflate"): Promise<Uint8Array> {
  const stream = new CompressionStream(format);
  const writer = stream.writable.getWriter();
  const chunks: Uint8Array[] = [];
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  })();
  const chunk = new Uint8Array(1024 * 1024).fill(byte);
  for (let left = size; left > 0; left -= chunk.length) await writer.write(left >= chunk.length ? chunk : chunk.slice(0, left));
  await writer.close();
  await reading;
  return concat(chunks);
}

/**
 * LZW codes (pdf.js's reading: MSB first, EarlyChange 1) that decode to about `size` spaces: each code names the
 * entry being defined (the KwKwK case), so the n-th code outputs n + 1 bytes — ~7 MB per 5 KB dictionary fill.
 */
export function lzwBomb(size: number): Uint8Array {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  const put = (code: number, width: number) => {
    acc = (acc << width) | code;
    bits += width;
    while (bits >= 8) {
      bytes.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  };
  let width = 9;
  for (let produced = 0; produced < size; ) {
    put(256, width); // clear: back to 9-bit codes
    width = 9;
    put(0x20, width);
    produced++;
    for (let next = 258, run = 2; next < 4095 && produced < size; next++, run++) {
      put(next, width);
      produced += run;
      if (((next + 2) & (next + 1)) === 0) width = Math.min(Math.log2(next + 2) + 1, 12);
    }
  }
  put(257, width);
  if (bits > 0) bytes.push((acc << (8 - bits)) & 0xff);
  return Uint8Array.from(bytes);
}

export const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const LINE_CHARS = 85;

export function contentStream(text: string): string {
  const lines = text.split("\n").flatMap(wrap);
  const shown = lines.map((line) => `(${pdfString(line)}) Tj T*`);
  return ["BT", "/F1 11 Tf", "14 TL", "72 740 Td", ...shown, "ET"].join("\n");
}

function wrap(line: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    if (current && current.length + 1 + word.length > LINE_CHARS) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out;
}

/** WinAnsiEncoding: Latin-1 for 0xA0–0xFF, these for 0x80–0x9F. */
const WIN_ANSI_HIGH: Record<string, number> = {
  "€": 0x80,
  "‚": 0x82,
  ƒ: 0x83,
  "„": 0x84,
  "…": 0x85,
  "†": 0x86,
  "‡": 0x87,
  ˆ: 0x88,
  "‰": 0x89,
  Š: 0x8a,
  "‹": 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  "‘": 0x91,
  "’": 0x92,
  "“": 0x93,
  "”": 0x94,
  "•": 0x95,
  "–": 0x96,
  "—": 0x97,
  "˜": 0x98,
  "™": 0x99,
  š: 0x9a,
  "›": 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};

/** A PDF literal string: WinAnsi bytes, escaped so the content stream stays ASCII. */
function pdfString(line: string): string {
  let out = "";
  for (const ch of line.normalize("NFC")) {
    const code = ch.codePointAt(0)!;
    const byte = (code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff) ? code : WIN_ANSI_HIGH[ch];
    if (byte === undefined) throw new Error(`makePdf: ${JSON.stringify(ch)} has no WinAnsiEncoding byte`);
    if (ch === "(" || ch === ")" || ch === "\\") out += `\\${ch}`;
    else out += byte < 0x7f ? ch : `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return out;
}

const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
