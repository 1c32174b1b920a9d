/**
 * The real type of a file from its first bytes: what WAHA or an API caller declares is a hint, not a fact (a voice
 * note declared `application/octet-stream`, an executable named `.jpg`). Types not recognised keep the declared one
 * only when it is harmless to serve; anything else is `application/octet-stream`.
 */
export function sniffMimeType(bytes: Uint8Array, declared?: string | null): string {
  const b = bytes;
  const at = (offset: number, ...sig: number[]) => sig.every((v, i) => b[offset + i] === v);
  const ascii = (offset: number, text: string) => [...text].every((ch, i) => b[offset + i] === ch.charCodeAt(0));
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (ascii(0, "GIF87a") || ascii(0, "GIF89a")) return "image/gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "image/webp";
  if (ascii(0, "RIFF") && ascii(8, "WAVE")) return "audio/wav";
  if (ascii(0, "%PDF-")) return "application/pdf";
  if (ascii(0, "OggS")) {
    // Opus or Vorbis audio (WhatsApp voice notes are Ogg Opus); a Theora stream would be video.
    const head = new TextDecoder("latin1").decode(b.subarray(0, 80));
    return head.includes("theora") ? "video/ogg" : "audio/ogg";
  }
  if (ascii(0, "ID3") || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0 && ((b[1] ?? 0) & 0x06) !== 0)) return "audio/mpeg";
  if (ascii(0, "#!AMR")) return "audio/amr";
  if (ascii(0, "fLaC")) return "audio/flac";
  if (ascii(4, "ftyp")) {
    const brand = new TextDecoder("latin1").decode(b.subarray(8, 12));
    if (brand.startsWith("M4A") || brand.startsWith("M4B")) return "audio/mp4";
    if (brand.startsWith("heic") || brand.startsWith("heix") || brand.startsWith("mif1")) return "image/heic";
    if (brand.startsWith("3gp")) return "video/3gpp";
    return declared?.toLowerCase().startsWith("audio/") ? "audio/mp4" : "video/mp4";
  }
  if (at(0, 0x1a, 0x45, 0xdf, 0xa3)) return declared?.toLowerCase().startsWith("audio/") ? "audio/webm" : "video/webm";
  if (at(0, 0x50, 0x4b, 0x03, 0x04)) {
    // Office documents are zip files; the declared type says which (the bytes would need the zip's directory).
    // Only a plain type token is kept: the result becomes a Content-Type header ("…, text/html" or a CR/LF would not be).
    const d = declared?.toLowerCase().trim() ?? "";
    const office = /^application\/vnd\.(openxmlformats-officedocument|oasis\.opendocument)\.[a-z0-9.+-]{1,100}$/;
    return office.test(d) ? d : "application/zip";
  }
  if (looksLikeText(b)) {
    const d = declared?.toLowerCase().split(";")[0]?.trim() ?? "";
    return d === "text/markdown" || d === "text/csv" ? d : "text/plain";
  }
  return "application/octet-stream";
}

/** UTF-8 without NULs or control characters other than whitespace, judged on the first 4 KiB. */
function looksLikeText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  const head = b.subarray(0, 4096);
  for (const byte of head) if (byte === 0 || (byte < 0x09 && byte !== 0x1b) || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) return false;
  try {
    // A multi-byte character cut at 4 KiB is not a reason to call the file binary.
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(head.length < b.length ? head.subarray(0, head.length - 4) : head);
    return true;
  } catch {
    return false;
  }
}

/** What the enrichment reads from a stored file of this type. */
export function enrichmentKindOf(mimeType: string, contentType: string): "transcript" | "description" | "document" | null {
  if (contentType === "sticker") return null;
  if (mimeType.startsWith("audio/")) return "transcript";
  if (mimeType.startsWith("image/")) return "description";
  if (mimeType === "application/pdf" || mimeType === "text/plain" || mimeType === "text/markdown") return "document";
  return null;
}

/** A name for the file when it is downloaded: the one it came with, else one from its type. */
export function fileNameFor(messageId: string, mimeType: string, filename?: string | null): string {
  if (filename?.trim()) return filename.trim().slice(0, 200);
  const ext: Record<string, string> = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/wav": "wav",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
    "text/plain": "txt",
  };
  return `${messageId}.${ext[mimeType] ?? "bin"}`;
}
