import { type FoldedText, foldWithOffsets } from "../text";
import { type Candidate, candidate, matches, PRIORITY } from "./candidates";

// A practical address, not RFC 5322's: ASCII local part, dot-separated labels, an alphabetic top-level domain. Each
// label is bounded and cannot contain the dot that ends it, so the pattern never tries more than one way to split a
// domain. Internationalised addresses are not recognised.
const EMAIL = new RegExp(
  String.raw`(?<![\p{L}\p{N}._%+-])[a-z0-9][a-z0-9._%+-]{0,63}` + // local part, not the tail of a longer token
    String.raw`@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,24}` + // labels, then the top-level domain
    String.raw`(?![\p{L}\p{N}-]|\.[\p{L}\p{N}])`, // the domain ends here ("x@acme.com." is followed by a full stop)
  "gu",
);

export function findEmails(ft: FoldedText): Candidate[] {
  const out: Candidate[] = [];
  for (const m of matches(EMAIL, ft.text)) {
    const c = candidate(ft, "email", m.index, m.index + m[0].length, {
      name: "",
      key: "",
      confidence: 0.95,
      priority: PRIORITY.email,
    });
    // The folded text dropped accents: "joão@x.com" must not become "joao@x.com". Only plain ASCII addresses count.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
    if (!/^[\x00-\x7f]+$/.test(c.text) || c.text.includes("..")) continue;
    c.key = c.text.toLowerCase();
    c.name = c.key;
    out.push(c);
  }
  return out;
}

/** The e-mail a short text is, lowercased, or null. */
export function emailOf(value: string): string | null {
  const found = findEmails(foldWithOffsets(value.trim()));
  return found.length === 1 && found[0]!.text.length === value.trim().length ? found[0]!.key : null;
}
