import { stripAccents } from "./format";
import type { Rng } from "./prng";
import type { Ask, Language, SynthDoc } from "./types";

export interface SynthQuery {
  text: string;
  category: string;
  language: Language;
  /** doc key → grade */
  grades: Map<string, number>;
}

/** How many questions of each kind; about 90 in all, weighted to what customers ask most. */
const QUOTAS: [category: string, language: Language, count: number][] = [
  ["contract-value", "pt", 5],
  ["contract-term", "pt", 4],
  ["contract-fine", "pt", 3],
  ["contract-forum", "pt", 2],
  ["contract-installment", "pt", 2],
  ["contract-index", "pt", 1],
  ["contract-object", "pt", 2],
  ["boleto-due", "pt", 4],
  ["boleto-value", "pt", 3],
  ["boleto-line", "pt", 1],
  ["nfse", "pt", 2],
  ["nfe", "pt", 3],
  ["proposal-total", "pt", 3],
  ["proposal-delivery", "pt", 3],
  ["proposal-discount", "pt", 2],
  ["proposal-validity", "pt", 1],
  ["proposal-payment", "pt", 1],
  ["by-contact", "pt", 3],
  ["by-cnpj", "pt", 2],
  ["by-amount", "pt", 2],
  ["by-number", "pt", 3],
  ["contract-value", "en", 2],
  ["contract-term", "en", 1],
  ["contract-fine", "en", 1],
  ["invoice-due", "en", 2],
  ["invoice-value", "en", 1],
  ["proposal-total", "en", 1],
  ["proposal-discount", "en", 1],
  ["manual-warranty", "pt", 5],
  ["manual-howto", "pt", 3],
  ["manual-warranty", "en", 3],
  ["manual-howto", "en", 2],
  ["manual-crosslingual", "en", 2],
  ["policy", "pt", 7],
  ["policy", "en", 4],
];

/** What a question asks about, whatever its form: a quoted or excluding variant asks the same as the plain one. */
const slot = (doc: SynthDoc, category: string) => (doc.client ? doc.key : `${doc.key}|${category.replace(/^(quoted|exclusion)-/, "")}`);

/** People type fast on WhatsApp: a share of Portuguese questions lose their accents and capitals. */
const UNACCENTED_SHARE = 0.2;

export class QueryBuilder {
  readonly queries: SynthQuery[] = [];
  private readonly asked = new Set<string>();
  private readonly perClient = new Map<string, number>();
  private readonly byKey: Map<string, SynthDoc>;

  constructor(
    private readonly rng: Rng,
    private readonly docs: SynthDoc[],
    private readonly asks: Ask[],
  ) {
    this.byKey = new Map(docs.map((d) => [d.key, d]));
  }

  doc(key: string): SynthDoc {
    const d = this.byKey.get(key);
    if (!d) throw new Error(`no document ${key}`);
    return d;
  }

  /** A question written out by hand; its target counts against the per-document limit like any other. */
  add(category: string, language: Language, text: string, target: string, related: Ask["related"] = "client", exclude: string[] = []) {
    this.queries.push({
      text,
      category,
      language,
      grades: this.grade({ category, language, phrasings: [text], target, related, exclude }),
    });
    this.count(target, category);
  }

  /** Fills every quota from the asks, within the limits of {@link available}. */
  fillQuotas() {
    for (const [category, language, count] of QUOTAS) {
      const candidates = this.rng.shuffle(this.asks.filter((a) => a.category === category && a.language === language));
      let taken = 0;
      for (const ask of candidates) {
        if (taken === count) break;
        if (!this.available(ask.target, category) || (ask.unique && !this.identifies(ask.unique, ask.target))) continue;
        let text = this.rng.pick(ask.phrasings);
        if (language === "pt" && this.rng.chance(UNACCENTED_SHARE)) text = stripAccents(text).toLowerCase();
        this.queries.push({ text, category, language, grades: this.grade(ask) });
        this.count(ask.target, category);
        taken++;
      }
      if (taken < count) throw new Error(`only ${taken} of ${count} questions for ${category}/${language}: too few documents`);
    }
  }

  /**
   * One question per client document (and at most three per client); documents without a client (manuals, policies)
   * take one question per topic, so the warranty and the installation of one manual are both asked, each once.
   */
  available(target: string, category: string): boolean {
    const doc = this.doc(target);
    if (this.asked.has(slot(doc, category))) return false;
    return !doc.client || (this.perClient.get(doc.client) ?? 0) < 3;
  }

  /** True when no other client's document holds `detail` standing alone (not inside a longer number or code). */
  private identifies(detail: string, target: string): boolean {
    const client = this.doc(target).client;
    const escaped = detail.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const word = new RegExp(`(?<![\\w/.,-])${escaped}(?![\\w/-]|[.,]\\d)`);
    return this.docs.every((d) => d.client === client || !word.test(`${d.title}\n${d.text}`));
  }

  private count(target: string, category: string) {
    const doc = this.doc(target);
    this.asked.add(slot(doc, category));
    if (doc.client) this.perClient.set(doc.client, (this.perClient.get(doc.client) ?? 0) + 1);
  }

  private grade(ask: Ask): Map<string, number> {
    const target = this.doc(ask.target);
    const excluded = new Set(ask.exclude ?? []);
    const related =
      ask.related === "client"
        ? this.docs.filter((d) => d.client && d.client === target.client).map((d) => d.key)
        : (ask.related ?? []).map((k) => this.doc(k).key);
    const grades = new Map<string, number>([[target.key, 2]]);
    for (const k of related) if (k !== target.key && !excluded.has(k)) grades.set(k, 1);
    return grades;
  }
}
