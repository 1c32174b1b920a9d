/**
 * A port of the parts of pdf.js's Lexer and Parser (core/parser.js, as bundled by unpdf) that decide which objects
 * are streams and what their dictionaries say. The port is deliberately literal — same leniency, same errors —
 * because the PDF guard must see a stream dictionary exactly as pdf.js will: any divergence is a way to hide a
 * filter from the guard.
 */

/** A PDF syntax error: pdf.js would throw a FormatError here and the object would not be read. */
export class PdfSyntaxError extends Error {}

/** The scan went somewhere pdf.js never should in a sound file (nested streams, absurd nesting, work cap). */
export class PdfStructureError extends Error {}

export class Name {
  constructor(readonly name: string) {}
}

export class Cmd {
  constructor(readonly cmd: string) {}
}

export class Ref {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
  /** As pdf.js's Ref: only reachable through JavaScript coercions the decoders mirror. */
  toString(): string {
    return this.gen === 0 ? `${this.num}R` : `${this.num}R${this.gen}`;
  }
}

export class Dict {
  readonly map = new Map<string, PdfValue>();
  /** pdf.js's Dict.get without reference resolution: the first key that is present wins. */
  get(key1: string, key2?: string): PdfValue | undefined {
    const value = this.map.get(key1);
    return value === undefined && key2 !== undefined ? this.map.get(key2) : value;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
}

/** A dictionary followed by the `stream` keyword: pdf.js makes it a stream whose data starts at `dataStart`. */
export class StreamStart {
  constructor(
    readonly dict: Dict,
    readonly dataStart: number,
  ) {}
}

export const EOF: unique symbol = Symbol("EOF");
export type PdfValue = number | string | boolean | null | Name | Cmd | Ref | Dict | StreamStart | PdfValue[];
type Token = PdfValue | typeof EOF;

/** pdf.js's specialChars: 1 whitespace, 2 delimiter, 0 a regular character. */
export const SPECIAL = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) SPECIAL[c] = 1;
for (const c of "%()/<>[]{}") SPECIAL[c.charCodeAt(0)] = 2;

/** pdf.js's isWhiteSpace (narrower than the lexer's whitespace). */
export const isWhiteSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c & 0x0f;
  if ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) return (c & 0x0f) + 9;
  return -1;
}

/** Bytes the lexers of one scan may read in all; past it the file is refused rather than scanned for minutes. */
export class ParseWork {
  used = 0;
  constructor(readonly cap: number) {}
}

const MAX_DEPTH = 256;

export class Lexer {
  private pos: number;
  private ch = -1;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly work: ParseWork,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
    this.nextChar();
  }

  private nextChar(): number {
    if (this.pos >= this.end) this.ch = -1;
    else {
      if (++this.work.used > this.work.cap) throw new PdfStructureError("parse work");
      this.ch = this.bytes[this.pos++]!;
    }
    return this.ch;
  }

  private peekChar(): number {
    return this.pos < this.end ? this.bytes[this.pos]! : -1;
  }

  getObj(): Token {
    let comment = false;
    let ch = this.ch;
    for (;;) {
      if (ch < 0) return EOF;
      if (comment) {
        if (ch === 0x0a || ch === 0x0d) comment = false;
      } else if (ch === 0x25) comment = true;
      else if (SPECIAL[ch] !== 1) break;
      ch = this.nextChar();
    }
    switch (ch) {
      case 0x30:
      case 0x31:
      case 0x32:
      case 0x33:
      case 0x34:
      case 0x35:
      case 0x36:
      case 0x37:
      case 0x38:
      case 0x39:
      case 0x2b:
      case 0x2d:
      case 0x2e:
        return this.getNumber();
      case 0x28:
        return this.getString();
      case 0x2f:
        return this.getName();
      case 0x5b:
        this.nextChar();
        return new Cmd("[");
      case 0x5d:
        this.nextChar();
        return new Cmd("]");
      case 0x3c:
        if (this.nextChar() === 0x3c) {
          this.nextChar();
          return new Cmd("<<");
        }
        return this.getHexString();
      case 0x3e:
        if (this.nextChar() === 0x3e) {
          this.nextChar();
          return new Cmd(">>");
        }
        return new Cmd(">");
      case 0x7b:
        this.nextChar();
        return new Cmd("{");
      case 0x7d:
        this.nextChar();
        return new Cmd("}");
      case 0x29:
        this.nextChar();
        throw new PdfSyntaxError("Illegal character ')'");
    }
    let cmd = String.fromCharCode(ch);
    if (ch < 0x20 || ch > 0x7f) {
      const next = this.peekChar();
      if (next >= 0x20 && next <= 0x7f) {
        this.nextChar();
        return new Cmd(cmd);
      }
    }
    for (ch = this.nextChar(); ch >= 0 && !SPECIAL[ch]; ch = this.nextChar()) {
      if (cmd.length === 128) throw new PdfSyntaxError("Command token too long");
      cmd += String.fromCharCode(ch);
    }
    if (cmd === "true") return true;
    if (cmd === "false") return false;
    if (cmd === "null") return null;
    return new Cmd(cmd);
  }

  private getNumber(): number {
    let ch = this.ch;
    let divideBy = 0;
    let sign = 1;
    if (ch === 0x2d) {
      sign = -1;
      ch = this.nextChar();
      if (ch === 0x2d) ch = this.nextChar();
    } else if (ch === 0x2b) ch = this.nextChar();
    if (ch === 0x0a || ch === 0x0d) {
      do ch = this.nextChar();
      while (ch === 0x0a || ch === 0x0d);
    }
    if (ch === 0x2e) {
      divideBy = 10;
      ch = this.nextChar();
    }
    if (ch < 0x30 || ch > 0x39) {
      if (isWhiteSpace(ch) || ch === 0x28 || ch === 0x3c || ch === -1) return 0;
      throw new PdfSyntaxError("Invalid number");
    }
    let base = ch - 0x30;
    for (ch = this.nextChar(); ch >= 0; ch = this.nextChar()) {
      if (ch >= 0x30 && ch <= 0x39) {
        if (divideBy !== 0) divideBy *= 10;
        base = base * 10 + (ch - 0x30);
      } else if (ch === 0x2e) {
        if (divideBy === 0) divideBy = 1;
        else break;
      } else if (ch !== 0x2d) break;
    }
    if (divideBy !== 0) base /= divideBy;
    return sign * base;
  }

  private getString(): string {
    let depth = 1;
    const out = new StringBuilder();
    let ch = this.nextChar();
    for (;;) {
      let charBuffered = false;
      let done = false;
      switch (ch | 0) {
        case -1:
          done = true;
          break;
        case 0x28:
          ++depth;
          out.push(0x28);
          break;
        case 0x29:
          if (--depth === 0) {
            this.nextChar();
            done = true;
          } else out.push(0x29);
          break;
        case 0x5c:
          ch = this.nextChar();
          switch (ch) {
            case -1:
              done = true;
              break;
            case 0x6e:
              out.push(0x0a);
              break;
            case 0x72:
              out.push(0x0d);
              break;
            case 0x74:
              out.push(0x09);
              break;
            case 0x62:
              out.push(0x08);
              break;
            case 0x66:
              out.push(0x0c);
              break;
            case 0x30:
            case 0x31:
            case 0x32:
            case 0x33:
            case 0x34:
            case 0x35:
            case 0x36:
            case 0x37: {
              let x = ch & 0x0f;
              ch = this.nextChar();
              charBuffered = true;
              if (ch >= 0x30 && ch <= 0x37) {
                x = (x << 3) + (ch & 0x0f);
                ch = this.nextChar();
                if (ch >= 0x30 && ch <= 0x37) {
                  charBuffered = false;
                  x = (x << 3) + (ch & 0x0f);
                }
              }
              out.push(x);
              break;
            }
            case 0x0d:
              if (this.peekChar() === 0x0a) this.nextChar();
              break;
            case 0x0a:
              break;
            default:
              out.push(ch);
          }
          break;
        default:
          out.push(ch);
      }
      if (done) break;
      if (!charBuffered) ch = this.nextChar();
    }
    return out.toString();
  }

  private getName(): Name {
    const out = new StringBuilder();
    let ch: number;
    for (ch = this.nextChar(); ch >= 0 && !SPECIAL[ch]; ch = this.nextChar()) {
      if (ch === 0x23) {
        ch = this.nextChar();
        if (SPECIAL[ch]) {
          out.push(0x23);
          break;
        }
        const x = hexDigit(ch);
        if (x !== -1) {
          const previous = ch;
          ch = this.nextChar();
          const y = hexDigit(ch);
          if (y === -1) {
            out.push(0x23);
            out.push(previous);
            if (SPECIAL[ch]) break;
            out.push(ch);
            continue;
          }
          out.push((x << 4) | y);
        } else {
          out.push(0x23);
          out.push(ch);
        }
      } else out.push(ch);
    }
    return new Name(out.toString());
  }

  private getHexString(): string {
    const out = new StringBuilder();
    let ch = this.ch;
    let first = -1;
    for (;;) {
      if (ch < 0) break;
      if (ch === 0x3e) {
        this.nextChar();
        break;
      }
      if (SPECIAL[ch] === 1) {
        ch = this.nextChar();
        continue;
      }
      const digit = hexDigit(ch);
      if (digit !== -1) {
        if (first === -1) first = digit;
        else {
          out.push((first << 4) | digit);
          first = -1;
        }
      }
      ch = this.nextChar();
    }
    if (first !== -1) out.push(first << 4);
    return out.toString();
  }

  /** pdf.js's makeStream start: the line after the `stream` keyword; the first data byte's offset. */
  skipToNextLine(): number {
    let ch = this.ch;
    while (ch >= 0) {
      if (ch === 0x0d) {
        if (this.nextChar() === 0x0a) this.nextChar();
        break;
      }
      if (ch === 0x0a) {
        this.nextChar();
        break;
      }
      ch = this.nextChar();
    }
    return this.pos - 1;
  }
}

/** Collects a string's char codes without a string per character. */
class StringBuilder {
  private parts: string[] = [];
  private codes: number[] = [];
  /** A char code as pdf.js would append it (octal escapes can exceed 0xff; -1 becomes U+FFFF, as there). */
  push(code: number) {
    this.codes.push(code);
    if (this.codes.length === 8192) this.flush();
  }
  private flush() {
    this.parts.push(String.fromCharCode(...this.codes));
    this.codes = [];
  }
  toString(): string {
    this.flush();
    return this.parts.join("");
  }
}

const isCmd = (token: Token, cmd: string) => token instanceof Cmd && token.cmd === cmd;

/**
 * pdf.js's Parser.getObj over the value that follows an `obj` keyword (streams allowed). A stream nested inside an
 * array or dictionary, or an inline image outside a content stream, is refused: pdf.js would read it, but no sound
 * file has one and measuring it would mean following pdf.js's Length handling too.
 */
export class Parser {
  private buf1: Token;
  private buf2: Token;

  constructor(private readonly lexer: Lexer) {
    this.buf1 = lexer.getObj();
    this.buf2 = lexer.getObj();
  }

  private shift() {
    if (this.buf2 instanceof Cmd && this.buf2.cmd === "ID") {
      this.buf1 = this.buf2;
      this.buf2 = null;
    } else {
      this.buf1 = this.buf2;
      this.buf2 = this.lexer.getObj();
    }
  }

  getObj(depth = 0): PdfValue {
    const token = this.buf1;
    this.shift();
    if (token === EOF) return null;
    if (token instanceof Cmd) {
      switch (token.cmd) {
        case "BI":
          throw new PdfStructureError("inline image outside a content stream");
        case "[": {
          if (depth >= MAX_DEPTH) throw new PdfStructureError("nesting");
          const array: PdfValue[] = [];
          while (!isCmd(this.buf1, "]") && this.buf1 !== EOF) array.push(this.getObj(depth + 1));
          if (this.buf1 === EOF) throw new PdfSyntaxError("End of file inside array");
          this.shift();
          return array;
        }
        case "<<": {
          if (depth >= MAX_DEPTH) throw new PdfStructureError("nesting");
          const dict = new Dict();
          while (!isCmd(this.buf1, ">>") && this.buf1 !== EOF) {
            if (!(this.buf1 instanceof Name)) {
              this.shift();
              continue;
            }
            const key = this.buf1.name;
            this.shift();
            if ((this.buf1 as Token) === EOF) break;
            dict.map.set(key, this.getObj(depth + 1));
          }
          if (this.buf1 === EOF) throw new PdfSyntaxError("End of file inside dictionary");
          if (isCmd(this.buf2, "stream")) {
            if (depth > 0) throw new PdfStructureError("stream inside another object");
            return new StreamStart(dict, this.lexer.skipToNextLine());
          }
          this.shift();
          return dict;
        }
        default:
          return token;
      }
    }
    if (Number.isInteger(token) && Number.isInteger(this.buf1) && isCmd(this.buf2, "R")) {
      const ref = new Ref(token as number, this.buf1 as number);
      this.shift();
      this.shift();
      return ref;
    }
    return token;
  }
}
