/**
 * A minimal hand-written PDF for tests: one page per string, Helvetica with WinAnsiEncoding (so "ção", "é", "€" and
 * "R$ 12.500,00" survive extraction), long lines wrapped at word boundaries, one text line per source line.
 * `encrypted` adds a standard security handler whose user password is not empty (random /U), so readers must ask
 * for a password; nothing is actually encrypted, since no reader gets that far.
 */
export function makePdf(pages: string[], options: { encrypted?: boolean } = {}): Uint8Array {
  const objects: string[] = [];
  const add = (body: string) => objects.push(body);
  add("<< /Type /Catalog /Pages 2 0 R >>");
  add(""); // the page tree, once its kids are known
  add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  const kids = pages.map((text) => {
    const stream = contentStream(text);
    const contents = add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    return add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} 0 R >>`);
  });
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  const encrypt = options.encrypted ? add(`<< /Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32)}> /P -44 >>`) : undefined;

  let out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  const offsets = objects.map((body, i) => {
    const offset = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, "0")} 00000 n \n`;
  const extra = encrypt ? ` /Encrypt ${encrypt} 0 R /ID [<${hex(16)}> <${hex(16)}>]` : "";
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${extra} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Uint8Array.from(out, (c) => c.charCodeAt(0));
}

const LINE_CHARS = 85;

function contentStream(text: string): string {
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
