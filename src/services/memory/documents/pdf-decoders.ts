/**
 * Ports of pdf.js's stream decoders (core/flate_stream.js, lzw_stream.js, ascii_85_stream.js, ascii_hex_stream.js,
 * run_length_stream.js, predictor_stream.js) that measure what a stream decodes to without holding it: each keeps a
 * 16 KiB output chunk (Flate also its 32 KiB window) and reports every byte to a Meter, which stops the scan once
 * the document's budget is spent. They mirror pdf.js's leniency on purpose: pdf.js inflates data that zlib (and so
 * DecompressionStream) refuses — back-references before the start, over-subscribed Huffman codes, stored blocks
 * with a zero LEN/NLEN — so measuring with zlib would let such a stream through unmeasured.
 */

export interface ByteSource {
  /** The next byte, or -1 at the end. */
  next(): number;
  /** The next byte without consuming it, or -1. */
  peek(): number;
}

export interface Meter {
  /** Counts decoded bytes; throws once the document's budget is exceeded. */
  output(bytes: number): void;
  /** Counts Huffman table entries built; throws past the cap (pdf.js would spin for minutes). */
  tableWork(entries: number): void;
}

/** Where pdf.js's decoder would throw a FormatError: the stream ends there. */
class StreamError extends Error {}

const CHUNK = 16 * 1024;

/** A stream's raw data, from its first byte to `end`; reads are counted so overlapping scans stay linear. */
export class RawSource implements ByteSource {
  private pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
    private readonly work: { used: number; cap: number; exceeded(): never },
  ) {
    this.pos = start;
  }
  next(): number {
    if (this.pos >= this.end) return -1;
    if (++this.work.used > this.work.cap) this.work.exceeded();
    return this.bytes[this.pos++]!;
  }
  peek(): number {
    return this.pos < this.end ? this.bytes[this.pos]! : -1;
  }
}

/** Buffers one chunk of output at a time, like pdf.js's DecodeStream but never more than CHUNK bytes. */
abstract class Decoder implements ByteSource {
  protected readonly buf = new Uint8Array(CHUNK);
  protected len = 0;
  private pos = 0;
  /** Nothing more after what is buffered. */
  protected done = false;

  constructor(
    protected readonly src: ByteSource,
    protected readonly meter: Meter,
  ) {}

  next(): number {
    return this.pos < this.len || this.refill() ? this.buf[this.pos++]! : -1;
  }

  peek(): number {
    return this.pos < this.len || this.refill() ? this.buf[this.pos]! : -1;
  }

  private refill(): boolean {
    this.pos = 0;
    this.len = 0;
    while (this.len === 0 && !this.done) {
      try {
        this.fill();
      } catch (err) {
        if (!(err instanceof StreamError)) throw err;
        this.done = true;
      }
      // What was produced before an error counts too: pdf.js had allocated it.
      this.meter.output(this.len);
    }
    return this.len > 0;
  }

  /** Appends at most CHUNK - len bytes; sets `done` at the end of the stream. */
  protected abstract fill(): void;
}

// --- Flate -------------------------------------------------------------------------------------------------------

type Table = readonly [codes: Int32Array, maxLen: number];

const CODE_LEN_CODE_MAP = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const LENGTH_DECODE = [
  0x00003, 0x00004, 0x00005, 0x00006, 0x00007, 0x00008, 0x00009, 0x0000a, 0x1000b, 0x1000d, 0x1000f, 0x10011, 0x20013, 0x20017, 0x2001b,
  0x2001f, 0x30023, 0x3002b, 0x30033, 0x3003b, 0x40043, 0x40053, 0x40063, 0x40073, 0x50083, 0x500a3, 0x500c3, 0x500e3, 0x00102, 0x00102,
  0x00102,
];
const DIST_DECODE = [
  0x00001, 0x00002, 0x00003, 0x00004, 0x10005, 0x10007, 0x20009, 0x2000d, 0x30011, 0x30019, 0x40021, 0x40031, 0x50041, 0x50061, 0x60081,
  0x600c1, 0x70101, 0x70181, 0x80201, 0x80301, 0x90401, 0x90601, 0xa0801, 0xa0c01, 0xb1001, 0xb1801, 0xc2001, 0xc3001, 0xd4001, 0xd6001,
];

/** pdf.js's generateHuffmanTable, literally: an over-subscribed code overwrites earlier entries instead of failing. */
export function huffmanTable(lengths: Uint8Array, meter?: Meter): Table {
  const n = lengths.length;
  let maxLen = 0;
  for (let i = 0; i < n; ++i) if (lengths[i]! > maxLen) maxLen = lengths[i]!;
  const size = 1 << maxLen;
  meter?.tableWork(size + maxLen * n);
  const codes = new Int32Array(size);
  for (let len = 1, code = 0, skip = 2; len <= maxLen; ++len, code <<= 1, skip <<= 1) {
    for (let val = 0; val < n; ++val) {
      if (lengths[val] !== len) continue;
      let reversed = 0;
      let t = code;
      for (let i = 0; i < len; ++i) {
        reversed = (reversed << 1) | (t & 1);
        t >>= 1;
      }
      meter?.tableWork(size / skip);
      for (let i = reversed; i < size; i += skip) codes[i] = (len << 16) | val;
      ++code;
    }
  }
  return [codes, maxLen];
}

const FIXED_LIT = huffmanTable(Uint8Array.from({ length: 288 }, (_, i) => (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8)));
const FIXED_DIST = huffmanTable(Uint8Array.from({ length: 30 }, () => 5));

/** pdf.js's Flate header check: anything else makes pdf.js drop the stream (NullStream) without inflating it. */
export const isFlateHeader = (cmf: number, flg: number) =>
  cmf !== -1 && flg !== -1 && (cmf & 0x0f) === 8 && ((cmf << 8) + flg) % 31 === 0 && !(flg & 0x20);

const HEADER = 0;
const STORED = 1;
const HUFFMAN = 2;
const WINDOW = 0x8000;

export class FlateDecoder extends Decoder {
  private codeSize = 0;
  private codeBuf = 0;
  /** pdf.js's `eof`: the final block has begun. */
  private last = false;
  private mode = HEADER;
  private stored = 0;
  private storedShort = false;
  private lit: Table = FIXED_LIT;
  private dist: Table = FIXED_DIST;
  private readonly window = new Uint8Array(WINDOW);
  private total = 0;
  private matchLen = 0;
  private matchDist = 0;

  constructor(src: ByteSource, meter: Meter) {
    super(src, meter);
    if (!isFlateHeader(src.next(), src.next())) this.done = true;
  }

  private put(b: number) {
    this.window[this.total++ & (WINDOW - 1)] = b;
    this.buf[this.len++] = b;
  }

  protected fill(): void {
    while (this.len < CHUNK) {
      if (this.matchLen > 0) {
        let n = Math.min(this.matchLen, CHUNK - this.len);
        this.matchLen -= n;
        const dist = this.matchDist;
        // pdf.js copies buffer[pos - dist]: before the start (or dist 0, the byte being written) that is 0.
        while (n-- > 0) this.put(dist === 0 || dist > this.total ? 0 : this.window[(this.total - dist) & (WINDOW - 1)]!);
      } else if (this.mode === STORED) {
        if (this.stored === 0) {
          this.mode = HEADER;
          continue;
        }
        let n = Math.min(this.stored, CHUNK - this.len);
        this.stored -= n;
        while (n-- > 0) {
          const b = this.storedShort ? -1 : this.src.next();
          if (b === -1) this.storedShort = this.last = true; // pdf.js keeps the declared length, zero-filled
          this.put(b === -1 ? 0 : b);
        }
      } else if (this.mode === HUFFMAN) {
        const code = this.getCode(this.lit);
        if (code < 256) this.put(code);
        else if (code === 256) this.mode = HEADER;
        else {
          let c = LENGTH_DECODE[code - 257]!;
          let extra = c >> 16;
          if (extra > 0) extra = this.getBits(extra);
          const len = (c & 0xffff) + extra;
          c = DIST_DECODE[this.getCode(this.dist)] ?? 0;
          extra = c >> 16;
          if (extra > 0) extra = this.getBits(extra);
          this.matchDist = (c & 0xffff) + extra;
          this.matchLen = len;
        }
      } else {
        if (this.last) {
          this.done = true;
          return;
        }
        this.readHeader();
        if (this.done) return;
      }
    }
  }

  private readHeader() {
    let hdr: number;
    try {
      hdr = this.getBits(3);
    } catch (err) {
      if (!(err instanceof StreamError)) throw err;
      this.done = true;
      return;
    }
    if (hdr & 1) this.last = true;
    hdr >>= 1;
    if (hdr === 0) {
      const header: number[] = [];
      for (let i = 0; i < 4; i++) {
        const b = this.src.next();
        if (b === -1) {
          this.done = true;
          return;
        }
        header.push(b);
      }
      const blockLen = header[0]! | (header[1]! << 8);
      const check = header[2]! | (header[3]! << 8);
      if (check !== (~blockLen & 0xffff) && (blockLen !== 0 || check !== 0)) throw new StreamError();
      this.codeBuf = 0;
      this.codeSize = 0;
      if (blockLen === 0) {
        if (this.src.peek() === -1) this.last = true;
      } else {
        this.stored = blockLen;
        this.mode = STORED;
      }
      return;
    }
    if (hdr === 1) {
      this.lit = FIXED_LIT;
      this.dist = FIXED_DIST;
    } else if (hdr === 2) {
      const numLitCodes = this.getBits(5) + 257;
      const numDistCodes = this.getBits(5) + 1;
      const numCodeLenCodes = this.getBits(4) + 4;
      const codeLenCodeLengths = new Uint8Array(CODE_LEN_CODE_MAP.length);
      for (let i = 0; i < numCodeLenCodes; ++i) codeLenCodeLengths[CODE_LEN_CODE_MAP[i]!] = this.getBits(3);
      const codeLenCodeTab = huffmanTable(codeLenCodeLengths, this.meter);
      let len = 0;
      let i = 0;
      const codes = numLitCodes + numDistCodes;
      const codeLengths = new Uint8Array(codes);
      while (i < codes) {
        const code = this.getCode(codeLenCodeTab);
        let bitsLength: number;
        let bitsOffset: number;
        let what: number;
        if (code === 16) {
          bitsLength = 2;
          bitsOffset = 3;
          what = len;
        } else if (code === 17) {
          bitsLength = 3;
          bitsOffset = 3;
          what = len = 0;
        } else if (code === 18) {
          bitsLength = 7;
          bitsOffset = 11;
          what = len = 0;
        } else {
          codeLengths[i++] = len = code;
          continue;
        }
        let repeat = this.getBits(bitsLength) + bitsOffset;
        while (repeat-- > 0) codeLengths[i++] = what;
      }
      this.lit = huffmanTable(codeLengths.subarray(0, numLitCodes), this.meter);
      this.dist = huffmanTable(codeLengths.subarray(numLitCodes, codes), this.meter);
    } else throw new StreamError();
    this.mode = HUFFMAN;
  }

  private getBits(bits: number): number {
    let codeSize = this.codeSize;
    let codeBuf = this.codeBuf;
    while (codeSize < bits) {
      const b = this.src.next();
      if (b === -1) throw new StreamError();
      codeBuf |= b << codeSize;
      codeSize += 8;
    }
    const value = codeBuf & ((1 << bits) - 1);
    this.codeBuf = codeBuf >> bits;
    this.codeSize = codeSize - bits;
    return value;
  }

  private getCode([codes, maxLen]: Table): number {
    let codeSize = this.codeSize;
    let codeBuf = this.codeBuf;
    while (codeSize < maxLen) {
      const b = this.src.next();
      if (b === -1) break;
      codeBuf |= b << codeSize;
      codeSize += 8;
    }
    const code = codes[codeBuf & ((1 << maxLen) - 1)]!;
    const codeLen = code >> 16;
    if (codeLen < 1 || codeSize < codeLen) throw new StreamError();
    this.codeBuf = codeBuf >> codeLen;
    this.codeSize = codeSize - codeLen;
    return code & 0xffff;
  }
}

// --- LZW ---------------------------------------------------------------------------------------------------------

/** JavaScript's `number + value`, as pdf.js evaluates `nextCode + earlyChange` whatever EarlyChange holds. */
function plus(a: number, b: unknown): number {
  if (b === null || b === undefined || typeof b === "boolean" || typeof b === "number") return a + Number(b);
  return Number(`${a}${String(b)}`);
}

const LZW_CODES = 512; // pdf.js decodes LZW 512 codes per readBlock, even past the end of its input

export class LzwDecoder extends Decoder {
  private cachedData = 0;
  private bitsCached = 0;
  private codeLength = 9;
  private nextCode = 258;
  private readonly values = new Uint8Array(4096);
  private readonly lengths = new Uint16Array(4096);
  private readonly prevCodes = new Uint16Array(4096);
  private readonly seq = new Uint8Array(4096);
  private seqLen = 0;
  private prevCode: number | null | undefined = undefined;
  private pending = 0;
  private pendingPos = 0;
  private codesRead = 0;
  private inputEnded = false;

  constructor(
    src: ByteSource,
    meter: Meter,
    private readonly earlyChange: unknown = 1,
  ) {
    super(src, meter);
    for (let i = 0; i < 256; ++i) {
      this.values[i] = i;
      this.lengths[i] = 1;
    }
  }

  private readBits(n: number): number | null {
    let bitsCached = this.bitsCached;
    let cachedData = this.cachedData;
    while (bitsCached < n) {
      const b = this.src.next();
      if (b === -1) {
        this.inputEnded = true;
        return null;
      }
      cachedData = (cachedData << 8) | b;
      bitsCached += 8;
    }
    this.bitsCached = bitsCached -= n;
    this.cachedData = cachedData;
    return (cachedData >>> bitsCached) & ((1 << n) - 1);
  }

  protected fill(): void {
    while (this.len < CHUNK) {
      if (this.pending > 0) {
        let n = Math.min(this.pending, CHUNK - this.len);
        this.pending -= n;
        // Sequences longer than pdf.js's 4096-byte buffer come out zero-padded, as there.
        for (; n > 0; n--, this.pendingPos++) this.buf[this.len++] = this.pendingPos < 4096 ? this.seq[this.pendingPos]! : 0;
        continue;
      }
      if (this.inputEnded && this.codesRead % LZW_CODES === 0) {
        this.done = true;
        return;
      }
      this.codesRead++;
      if (!this.step()) {
        this.done = true;
        return;
      }
    }
  }

  /** One code, as the body of pdf.js's readBlock loop; false at the end-of-data code. */
  private step(): boolean {
    const code = this.readBits(this.codeLength);
    const hasPrev = this.seqLen > 0;
    if (code === null || code < 256) {
      this.seq[0] = code ?? 0;
      this.seqLen = 1;
    } else if (code >= 258) {
      if (code < this.nextCode) {
        this.seqLen = this.lengths[code]!;
        for (let j = this.seqLen - 1, c = code; j >= 0; j--) {
          this.seq[j] = this.values[c]!;
          c = this.prevCodes[c]!;
        }
      } else this.seq[this.seqLen++] = this.seq[0]!;
    } else if (code === 256) {
      this.codeLength = 9;
      this.nextCode = 258;
      this.seqLen = 0;
      return true;
    } else return false;
    if (hasPrev) {
      const o = this.nextCode;
      const d = this.prevCode;
      if (o < 4096) {
        this.prevCodes[o] = d ?? 0;
        this.lengths[o] = d === null || d === undefined ? 0 : this.lengths[d]! + 1;
        this.values[o] = this.seq[0]!;
      }
      this.nextCode = o + 1;
      const x = plus(this.nextCode, this.earlyChange);
      if (!(x & (x - 1))) this.codeLength = Math.min(Math.log(x) / Math.LN2 + 1, 12) | 0;
    }
    this.prevCode = code;
    this.pending = this.seqLen;
    this.pendingPos = 0;
    return true;
  }
}

// --- ASCII85, ASCIIHex, RunLength --------------------------------------------------------------------------------

const isPdfJsWhiteSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

export class Ascii85Decoder extends Decoder {
  private readonly group = new Uint8Array(5);

  protected fill(): void {
    while (this.len <= CHUNK - 4) {
      let c = this.src.next();
      while (isPdfJsWhiteSpace(c)) c = this.src.next();
      if (c === -1 || c === 0x7e) {
        this.done = true;
        return;
      }
      if (c === 0x7a) {
        for (let k = 0; k < 4; k++) this.buf[this.len++] = 0;
        continue;
      }
      const a = this.group;
      a[0] = c;
      let i: number;
      for (i = 1; i < 5; ++i) {
        c = this.src.next();
        while (isPdfJsWhiteSpace(c)) c = this.src.next();
        a[i] = c;
        if (c === -1 || c === 0x7e) break;
      }
      if (i < 5) a.fill(0x75, i, 5);
      let value = 0;
      for (let k = 0; k < 5; ++k) value = value * 85 + (a[k]! - 33);
      const out = [0, 0, 0, 0];
      for (let k = 3; k >= 0; --k) {
        out[k] = value & 0xff;
        value >>= 8;
      }
      for (let k = 0; k < i - 1; k++) this.buf[this.len++] = out[k]!;
      if (i < 5) {
        this.done = true;
        return;
      }
    }
  }
}

export class AsciiHexDecoder extends Decoder {
  private first = -1;

  protected fill(): void {
    while (this.len < CHUNK) {
      const c = this.src.next();
      if (c === -1) {
        this.done = true;
        return;
      }
      let digit: number;
      if (c >= 0x30 && c <= 0x39) digit = c & 0x0f;
      else if ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) digit = (c & 0x0f) + 9;
      else if (c === 0x3e) {
        if (this.first >= 0) this.buf[this.len++] = this.first << 4;
        this.done = true;
        return;
      } else continue;
      if (this.first < 0) this.first = digit;
      else {
        this.buf[this.len++] = (this.first << 4) | digit;
        this.first = -1;
      }
    }
  }
}

export class RunLengthDecoder extends Decoder {
  protected fill(): void {
    while (this.len <= CHUNK - 128) {
      const n = this.src.next();
      const b = n === -1 ? -1 : this.src.next();
      if (b === -1 || n === 128) {
        this.done = true;
        return;
      }
      if (n < 128) {
        this.buf[this.len++] = b;
        for (let k = 0; k < n; k++) {
          const c = this.src.next();
          this.buf[this.len++] = c === -1 ? 0 : c; // pdf.js advances by the declared run even when short
        }
      } else for (let k = 257 - n; k > 0; k--) this.buf[this.len++] = b;
    }
  }
}

/**
 * What pdf.js's PredictorStream allocates reading `src` (count only: a predictor is only ever the last stage here).
 * Each row costs `rowBytes` however little input it had, and the first read reserves one more row in the source.
 */
export function drainPredicted(src: ByteSource, rowBytes: number, png: boolean, meter: Meter): void {
  if (rowBytes <= 0) {
    while (src.next() !== -1);
    return;
  }
  meter.output(rowBytes);
  for (;;) {
    if (png) src.next();
    let read = 0;
    while (read < rowBytes && src.next() !== -1) read++;
    if (read === 0) return;
    meter.output(rowBytes);
  }
}
