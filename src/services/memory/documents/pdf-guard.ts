import { AppError } from "../../../lib/errors";
import {
  Ascii85Decoder,
  AsciiHexDecoder,
  type ByteSource,
  drainPredicted,
  FlateDecoder,
  LzwDecoder,
  type Meter,
  RawSource,
  RunLengthDecoder,
} from "./pdf-decoders";
import {
  Dict,
  Lexer,
  Name,
  Parser,
  ParseWork,
  PdfStructureError,
  PdfSyntaxError,
  type PdfValue,
  Ref,
  SPECIAL,
  StreamStart,
} from "./pdf-syntax";

const MiB = 1024 * 1024;

/**
 * What a PDF's streams may decode to, all together, before pdf.js is allowed to open it. pdf.js holds each decoded
 * stream in one buffer that grows by doubling, so a stream under 32 MiB needs at most a 32 MiB buffer — 48 MiB
 * while the last doubling copies. With the upload (20 MiB, held by the caller and copied for pdf.js) that peaks
 * around 90 MiB of the isolate's 128 MB; 48 MiB of output would allow a 64 MiB buffer and 96 MiB transient, which
 * does not fit. Text documents stay far below: a 500-page contract's content, fonts and object streams decode to a
 * few MiB. Images pdf.js never decodes while extracting text are not counted (see `exemptImage`).
 */
export const MAX_PDF_INFLATED_BYTES = 32 * MiB;

/** Huffman table entries the scan may build: legitimate streams need well under a tenth of this. */
const MAX_TABLE_WORK = 512 * MiB;
/** An object stream is parsed to see what it references; one this large is not a real one. */
const MAX_OBJECT_STREAM_BYTES = 8 * MiB;

export interface PdfStreamReport {
  /** Streams whose decoding was measured. */
  measured: number;
  /** Images skipped because pdf.js does not decode them to extract text. */
  skippedImages: number;
  /** Decoded bytes of all measured streams (and object streams). */
  decodedBytes: number;
}

/**
 * Refuses a PDF whose streams decode to more than `limit` bytes, before pdf.js opens it: one 1 MB upload that
 * inflates to 1 GiB would otherwise take the isolate down on every attempt. Every stream pdf.js could read is
 * decoded by ports of its own decoders (Flate, LZW, ASCII85, ASCIIHex, RunLength, predictors), in a single pass
 * that holds at most a chunk of output per filter; the scan stops as soon as the budget is exceeded.
 *
 * Which objects are streams is decided like pdf.js does: from every `obj` keyword in the file (pdf.js goes where
 * the cross-reference table says, which can be any of them), parsing as its parser does; a stream reached from
 * several of them is measured under each dictionary. Streams inside object streams, nested streams, Brotli and
 * filters or parameters given by reference are refused: pdf.js would read them, but no sound file has them and
 * measuring them would mean following pdf.js's cross-reference resolution too.
 */
export function checkPdfStreams(bytes: Uint8Array, limit = MAX_PDF_INFLATED_BYTES): PdfStreamReport {
  if (hasEncryptEntry(bytes)) throw encrypted();
  const scan = new Scan(bytes, limit);
  try {
    return scan.run();
  } catch (err) {
    if (err instanceof PdfStructureError) throw malformed(err);
    throw err;
  }
}

interface Landing {
  dict: Dict;
  dataStart: number;
  /** The object numbers pdf.js could read this stream as; undefined when the header is not a plain `N G obj`. */
  nums?: number[];
}

type Stage =
  | { kind: "flate" | "lzw" | "a85" | "ahx" | "rl"; earlyChange?: unknown; predictor?: Predictor }
  /** pdf.js replaces the stage with an empty stream or hands the data to an image decoder: measuring stops. */
  | { kind: "stop" };

interface Predictor {
  rowBytes: number;
  png: boolean;
}

class Scan implements Meter {
  private decoded = 0;
  private tables = 0;
  private readonly parseWork: ParseWork;
  private readonly readWork: { used: number; cap: number; exceeded(): never };
  private readonly landings = new Map<number, Landing[]>();
  /** Object numbers referenced from somewhere pdf.js may decode them (not only as an image). */
  private readonly decodable = new Set<number>();
  private objectStreamsParsed = true;
  private readonly measuredKeys = new Set<string>();
  private measured = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limit: number,
  ) {
    // Sound files read each byte about once; these caps keep crafted overlaps linear.
    const cap = 4 * bytes.length + MiB;
    this.parseWork = new ParseWork(cap);
    this.readWork = {
      used: 0,
      cap,
      exceeded: () => {
        throw new PdfStructureError("read work");
      },
    };
  }

  output(n: number): void {
    this.decoded += n;
    if (this.decoded > this.limit) throw tooLarge(this.limit);
  }

  tableWork(n: number): void {
    this.tables += n;
    if (this.tables > MAX_TABLE_WORK) throw new PdfStructureError("Huffman tables");
  }

  run(): PdfStreamReport {
    for (const at of objKeywords(this.bytes)) this.readObject(at);
    for (const group of this.landings.values()) {
      for (const landing of group) if (objectStreamParams(landing.dict)) this.readObjectStream(landing);
    }
    let skippedImages = 0;
    for (const group of this.landings.values()) {
      const decodable = group.filter((l) => !this.exemptImage(l));
      if (decodable.length === 0) skippedImages++;
      for (const landing of decodable) this.measure(landing);
    }
    return { measured: this.measured, skippedImages, decodedBytes: this.decoded };
  }

  /** The value after one `obj` keyword, as pdf.js's parser reads it; a syntax error means pdf.js gets no object. */
  private readObject(at: number) {
    let value: PdfValue;
    try {
      value = new Parser(new Lexer(this.bytes, at + 3, this.parseWork)).getObj();
    } catch (err) {
      if (err instanceof PdfSyntaxError) return;
      throw err;
    }
    if (value instanceof StreamStart) {
      const landing = { dict: value.dict, dataStart: value.dataStart, nums: headerNumbers(this.bytes, at) };
      const group = this.landings.get(value.dataStart);
      if (group) group.push(landing);
      else this.landings.set(value.dataStart, [landing]);
      this.noteReferences(value.dict, undefined, false);
    } else this.noteReferences(value, undefined, false);
  }

  /**
   * Records the object numbers a value references where pdf.js may decode them. An image XObject (the entries of
   * an /XObject dictionary) and an image's soft mask, mask or page thumbnail are only painted, never decoded, by
   * text extraction; any other reference (page /Contents, fonts, forms...) may be decoded.
   */
  private noteReferences(value: PdfValue, key: string | undefined, xobjectEntry: boolean) {
    if (value instanceof Ref) {
      if (!xobjectEntry && !(key && IMAGE_ONLY_KEYS.has(key))) this.decodable.add(value.num);
    } else if (Array.isArray(value)) {
      for (const item of value) this.noteReferences(item, key, false);
    } else if (value instanceof Dict) {
      for (const [k, v] of value.map) this.noteReferences(v, k, key === "XObject");
    }
  }

  /**
   * pdf.js reads an object stream's objects at the offsets its header lists, streams allowed: it is decoded here
   * (counted like any stream) so that a stream hidden inside is refused and its objects' references are known.
   */
  private readObjectStream(landing: Landing) {
    const params = objectStreamParams(landing.dict)!;
    const chain = this.chainOf(landing.dict);
    if (chain.some((s) => s.kind === "stop" || s.predictor)) throw new PdfStructureError("object stream encoding");
    let content: Uint8Array;
    if (chain.length === 0) content = this.bytes.subarray(landing.dataStart, this.streamEnd(landing));
    else {
      const collected = new ByteBuffer();
      this.decode(landing, chain, collected);
      content = collected.bytes();
    }
    this.measuredKeys.add(measureKey(landing, chain));
    if (!params.parseable) return; // pdf.js refuses to use it as an object stream
    try {
      const header = new Parser(new Lexer(content, 0, this.parseWork));
      const offsets: number[] = [];
      for (let i = 0; i < params.n; i++) {
        const num = header.getObj();
        const offset = header.getObj();
        if (!Number.isInteger(num) || !Number.isInteger(offset)) throw new PdfSyntaxError("object stream header");
        offsets.push(offset as number);
      }
      for (const [i, offset] of offsets.entries()) {
        const next = offsets[i + 1];
        if (next !== undefined && next - offset < 0) throw new PdfSyntaxError("object stream offsets");
        const start = params.first + offset;
        const end = next === undefined ? content.length : Math.min(content.length, params.first + next);
        if (start < 0 || start > content.length) continue;
        let value: PdfValue;
        try {
          value = new Parser(new Lexer(content, start, this.parseWork, Math.max(start, end))).getObj();
        } catch (err) {
          if (err instanceof PdfSyntaxError) continue;
          throw err;
        }
        if (value instanceof StreamStart) throw new PdfStructureError("stream inside an object stream");
        this.noteReferences(value, undefined, false);
      }
    } catch (err) {
      if (!(err instanceof PdfSyntaxError)) throw err;
      // pdf.js cannot read it either — unless it decodes differently (encryption): references are then unknown.
      this.objectStreamsParsed = false;
    }
  }

  /**
   * An image pdf.js will not decode while extracting text: its dictionary says /Subtype /Image (and nothing that
   * makes pdf.js read it as an object or cross-reference stream), and no object that could be it is referenced
   * anywhere but as an image. Skipping these keeps documents full of screenshots (Flate images) acceptable.
   */
  private exemptImage(landing: Landing): boolean {
    const { dict, nums } = landing;
    const subtype = dict.map.get("Subtype");
    return (
      this.objectStreamsParsed &&
      nums !== undefined &&
      subtype instanceof Name &&
      subtype.name === "Image" &&
      !dict.has("N") &&
      !dict.has("First") &&
      !dict.has("W") &&
      nums.every((n) => !this.decodable.has(n))
    );
  }

  private measure(landing: Landing) {
    const chain = this.chainOf(landing.dict);
    const key = measureKey(landing, chain);
    if (this.measuredKeys.has(key)) return;
    this.measuredKeys.add(key);
    this.decode(landing, chain);
  }

  /**
   * Where pdf.js ends the stream's data: at /Length when it is a direct integer followed by `endstream` (pdf.js
   * checks just that), else wherever pdf.js's search or a /Length from elsewhere could put it — so the decoders
   * read on until their data ends, at most to the end of the file.
   */
  private streamEnd({ dict, dataStart }: Landing): number {
    const length = dict.map.get("Length");
    if (typeof length !== "number" || !Number.isInteger(length) || length < 0) return this.bytes.length;
    const end = dataStart + length;
    return end <= this.bytes.length && endstreamAt(this.bytes, end) ? end : this.bytes.length;
  }

  /** Runs the stream's data through its filters, counting every byte each stage produces, as pdf.js buffers each. */
  private decode(landing: Landing, chain: Stage[], collect?: ByteBuffer) {
    let src: ByteSource = new RawSource(this.bytes, landing.dataStart, this.streamEnd(landing), this.readWork);
    let filtered = false;
    for (const [i, stage] of chain.entries()) {
      if (stage.kind === "stop") break;
      src = this.decoder(stage, src);
      filtered = true;
      if (stage.predictor) {
        if (i !== chain.length - 1) throw unsupported();
        this.measured++;
        drainPredicted(src, stage.predictor.rowBytes, stage.predictor.png, this);
        return;
      }
    }
    if (!filtered) return;
    this.measured++;
    if (collect) for (let b = src.next(); b !== -1; b = src.next()) collect.push(b);
    else while (src.next() !== -1);
  }

  private decoder(stage: Exclude<Stage, { kind: "stop" }>, src: ByteSource): ByteSource {
    switch (stage.kind) {
      case "flate":
        return new FlateDecoder(src, this);
      case "lzw":
        return new LzwDecoder(src, this, stage.earlyChange);
      case "a85":
        return new Ascii85Decoder(src, this);
      case "ahx":
        return new AsciiHexDecoder(src, this);
      case "rl":
        return new RunLengthDecoder(src, this);
    }
  }

  /** pdf.js's Parser.filter/makeFilter: the stages a stream's data goes through. */
  private chainOf(dict: Dict): Stage[] {
    const filter = direct(dict.get("F", "Filter"));
    // Parameters matter to Flate and LZW only; `stage` insists on them being direct there.
    const params = dict.get("DP", "DecodeParms");
    if (filter instanceof Name) return stage(filter.name, params);
    if (!Array.isArray(filter)) return [];
    const stages: Stage[] = [];
    for (const [i, item] of filter.entries()) {
      const name = direct(item);
      // pdf.js throws on a filter that is not a name: the stream cannot be read at all.
      if (!(name instanceof Name)) return [];
      stages.push(...stage(name.name, Array.isArray(params) && i in params ? params[i] : null));
    }
    return stages;
  }
}

const IMAGE_ONLY_KEYS = new Set(["SMask", "Mask", "Thumb"]);

function stage(name: string, rawParams: PdfValue | undefined): Stage[] {
  switch (name) {
    case "Fl":
    case "FlateDecode":
      return [{ kind: "flate", predictor: predictorOf(direct(rawParams)) }];
    case "LZW":
    case "LZWDecode": {
      const params = direct(rawParams);
      if (!params) return [{ kind: "lzw" }];
      // pdf.js calls params.has(): anything but a dictionary throws and the stream comes out empty.
      if (!(params instanceof Dict)) return [{ kind: "stop" }];
      const earlyChange = params.has("EarlyChange") ? direct(params.get("EarlyChange")) : 1;
      return [{ kind: "lzw", earlyChange, predictor: predictorOf(params) }];
    }
    case "A85":
    case "ASCII85Decode":
      return [{ kind: "a85" }];
    case "AHx":
    case "ASCIIHexDecode":
      return [{ kind: "ahx" }];
    case "RL":
    case "RunLengthDecode":
      return [{ kind: "rl" }];
    case "DCT":
    case "DCTDecode":
    case "JPX":
    case "JPXDecode":
    case "CCF":
    case "CCITTFaxDecode":
    case "JBIG2Decode":
      return [{ kind: "stop" }];
    case "BrotliDecode":
      throw unsupported();
    default:
      return []; // Crypt without encryption, and unknown filters, pass the data through
  }
}

/** pdf.js's PredictorStream setup, with JavaScript's coercions; undefined when it passes the data through. */
function predictorOf(params: PdfValue | undefined): Predictor | undefined {
  if (!(params instanceof Dict)) return undefined;
  const predictor = direct(params.get("Predictor")) || 1;
  if (Number(predictor) <= 1) return undefined;
  // An unsupported predictor makes pdf.js drop the stream; measuring it as a PNG predictor is the safe side.
  const colors = direct(params.get("Colors")) || 1;
  const bits = direct(params.get("BPC", "BitsPerComponent")) || 8;
  const columns = direct(params.get("Columns")) || 1;
  const rowBytes = (Number(columns) * Number(colors) * Number(bits) + 7) >> 3;
  return { rowBytes, png: predictor !== 2 };
}

/** A value pdf.js would resolve through the cross-reference table: refused rather than guessed. */
function direct<T extends PdfValue | undefined>(value: T): T {
  if (value instanceof Ref) throw unsupported();
  return value;
}

function objectStreamParams(dict: Dict): { n: number; first: number; parseable: boolean } | undefined {
  if (!dict.has("N") || !dict.has("First")) return undefined;
  const n = direct(dict.get("N"));
  const first = direct(dict.get("First"));
  const parseable = Number.isInteger(n) && Number.isInteger(first);
  return { n: parseable ? (n as number) : 0, first: parseable ? (first as number) : 0, parseable };
}

const measureKey = (landing: Landing, chain: Stage[]) =>
  `${landing.dataStart}:${JSON.stringify(landing.dict.map.get("Length") ?? null)}:${JSON.stringify(chain)}`;

/** Whether the next token at `at` (after whitespace and comments, as pdf.js's lexer skips them) is `endstream`. */
function endstreamAt(bytes: Uint8Array, at: number): boolean {
  let i = at;
  for (;;) {
    while (i < bytes.length && SPECIAL[bytes[i]!] === 1) i++;
    if (bytes[i] !== 0x25) break;
    while (i < bytes.length && bytes[i] !== 0x0a && bytes[i] !== 0x0d) i++;
  }
  for (const c of ENDSTREAM) if (bytes[i++] !== c) return false;
  return i >= bytes.length || SPECIAL[bytes[i]!] !== 0;
}

const ENDSTREAM = Array.from("endstream", (c) => c.charCodeAt(0));

/** Offsets of every `obj` keyword pdf.js could reach: after a number's digit, '.', '-' or whitespace. */
function* objKeywords(bytes: Uint8Array): Generator<number> {
  for (let j = bytes.indexOf(0x6a, 2); j !== -1; j = bytes.indexOf(0x6a, j + 1)) {
    if (bytes[j - 1] !== 0x62 || bytes[j - 2] !== 0x6f) continue;
    const next = bytes[j + 1];
    if (next !== undefined && !SPECIAL[next]) continue;
    const at = j - 2;
    const before = bytes[at - 1];
    if (before === undefined || SPECIAL[before] === 1 || isNumberChar(before)) yield at;
  }
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isNumberChar = (c: number) => isDigit(c) || c === 0x2e || c === 0x2d;

/**
 * The object numbers an `N G obj` header at `at` can be read as. pdf.js starts at whatever offset the
 * cross-reference table gives, possibly inside the number ("12 0 obj" read from its '2' is object 2), so every
 * suffix of the digits counts. Anything but plain digits and whitespace (signs, dots, comments) gives undefined.
 */
function headerNumbers(bytes: Uint8Array, at: number): number[] | undefined {
  let i = at - 1;
  while (i >= 0 && SPECIAL[bytes[i]!] === 1) i--;
  const genEnd = i;
  while (i >= 0 && isDigit(bytes[i])) i--;
  if (i === genEnd || i < 0 || SPECIAL[bytes[i]!] !== 1) return undefined;
  while (i >= 0 && SPECIAL[bytes[i]!] === 1) i--;
  const numEnd = i;
  while (i >= 0 && isDigit(bytes[i])) i--;
  if (i === numEnd || (i >= 0 && isNumberChar(bytes[i]!))) return undefined;
  const nums: number[] = [];
  for (let start = i + 1; start <= numEnd; start++) {
    let n = 0;
    for (let k = start; k <= numEnd; k++) n = n * 10 + (bytes[k]! - 0x30);
    nums.push(n);
  }
  return nums;
}

class ByteBuffer {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;
  push(b: number) {
    if (this.len === this.buf.length) {
      if (this.len >= MAX_OBJECT_STREAM_BYTES) throw new PdfStructureError("object stream size");
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.len++] = b;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

function tooLarge(limit: number): AppError {
  return new AppError("unprocessable", `The PDF's content decompresses to more than ${limit / MiB} MiB; it cannot be processed safely`, {
    reason: "too_large_when_decompressed",
    limit,
  });
}

function unsupported(): AppError {
  return new AppError("unprocessable", "The PDF uses a compression setup that cannot be checked safely", {
    reason: "unsupported_compression",
  });
}

/**
 * Encrypted streams cannot be measured without decrypting them, and pdf.js decrypts files protected only by an owner
 * password (empty user password) without asking: a bomb would pass unmeasured. So every encrypted PDF is refused,
 * including those that open without a password. `/Encrypt` lives in the trailer or the cross-reference stream's
 * dictionary, neither of which can be compressed; a match anywhere else only refuses a file, never admits one.
 */
function hasEncryptEntry(bytes: Uint8Array): boolean {
  const name = [0x2f, 0x45, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74]; // "/Encrypt"
  outer: for (let i = bytes.indexOf(0x2f); i >= 0 && i + name.length < bytes.length; i = bytes.indexOf(0x2f, i + 1)) {
    for (let j = 1; j < name.length; j++) if (bytes[i + j] !== name[j]) continue outer;
    // "/EncryptMetadata" is another key; "/Encrypt" must end at a delimiter or whitespace.
    const next = bytes[i + name.length]!;
    if (!isRegularPdfChar(next)) return true;
  }
  return false;
}

/** PDF's regular characters: anything but whitespace and the delimiters ()<>[]{}/%. */
const isRegularPdfChar = (c: number) => !(c <= 0x20 || c === 0x7f || "()<>[]{}/%".includes(String.fromCharCode(c)));

function encrypted(): AppError {
  return new AppError("unprocessable", "The PDF is encrypted; upload a copy without protection (for example, print it to a new PDF)", {
    reason: "encrypted",
  });
}

function malformed(err: PdfStructureError): AppError {
  return new AppError("unprocessable", "The PDF's internal structure is malformed", { reason: "corrupt" }, { cause: err });
}
