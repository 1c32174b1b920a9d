import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FACT_KEYS, type FactKey } from "../../src/services/memory/extraction/fact-keys";
import { extractWithRules, RULES_EXTRACTOR_ID, RulesExtractor } from "../../src/services/memory/extraction/rules";
import { locate, nameKey } from "../../src/services/memory/extraction/text";
import type { Extraction, ExtractionInput, KnownName } from "../../src/services/memory/extraction/types";
import { MAX_ENTITIES } from "../../src/services/memory/extraction/types";

const extract = (text: string, more: Omit<ExtractionInput, "text"> = {}) => extractWithRules({ text, ...more });
const keys = (r: Extraction, type: string) => r.entities.filter((e) => e.type === type).map((e) => e.key);
const facts = (r: Extraction) => r.facts.map((f) => [f.factKey, f.factValue]);

/** Every span points at the text it claims, so the caller can cite it. */
function expectSpans(text: string, r: Extraction) {
  for (const e of r.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
  for (const f of r.facts) expect(text.slice(f.start, f.end)).toBe(f.factText);
}

// Check digits computed here, independently of the extractor (Receita Federal's mod-11 rules).
function cpfOf(base9: string): string {
  const digits = base9.split("").map(Number);
  for (const length of [9, 10]) {
    const sum = digits.slice(0, length).reduce((s, d, i) => s + d * (length + 1 - i), 0);
    digits.push(((sum * 10) % 11) % 10);
  }
  return digits.join("");
}
function cnpjOf(base12: string): string {
  const values = base12.split("").map((c) => c.charCodeAt(0) - 48);
  for (const weights of [
    [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2],
    [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2],
  ]) {
    const rest = weights.reduce((s, w, i) => s + w * values[i]!, 0) % 11;
    values.push(rest < 2 ? 0 : 11 - rest);
  }
  return base12 + values.slice(12).join("");
}
/** The same id with one check digit off by one: what a typo or an invented number looks like. */
const offByOne = (id: string, position: number) => id.slice(0, position) + String((Number(id[position]) + 1) % 10) + id.slice(position + 1);
const formatCpf = (d: string) => `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}`;
const formatCnpj = (d: string) => `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12)}`;

describe("rule-based extractor", () => {
  it("says what it is: rules, not semantic", async () => {
    const extractor = new RulesExtractor();
    expect(extractor.id).toBe(RULES_EXTRACTOR_ID);
    expect(extractor.id).toMatch(/rules/);
    expect(extractor.semantic).toBe(false);
    expect(await extractor.extract({ text: "   " })).toEqual({ entities: [], facts: [], relations: [] });
  });

  describe("money", () => {
    it.each([
      ["O contrato é de R$ 10.000,00 por mês", "BRL 10000.00", "R$ 10.000,00", "R$ 10.000,00"],
      ["fica R$10 mil", "BRL 10000.00", "R$10 mil", "R$ 10.000,00"],
      ["proposta de R$ 1,5 milhão", "BRL 1500000.00", "R$ 1,5 milhão", "R$ 1.500.000,00"],
      ["R$ 2 milhões", "BRL 2000000.00", "R$ 2 milhões", "R$ 2.000.000,00"],
      ["valor: R$ 1.234.567,89.", "BRL 1234567.89", "R$ 1.234.567,89", "R$ 1.234.567,89"],
      ["só R$ 99,90", "BRL 99.90", "R$ 99,90", "R$ 99,90"],
      ["pago 500 reais", "BRL 500.00", "500 reais", "R$ 500,00"],
      ["uns 10 mil reais", "BRL 10000.00", "10 mil reais", "R$ 10.000,00"],
      ["costs US$ 1,200.50 a year", "USD 1200.50", "US$ 1,200.50", "US$ 1,200.50"],
      ["only $1,200", "USD 1200.00", "$1,200", "US$ 1,200.00"],
      ["USD 300 upfront", "USD 300.00", "USD 300", "US$ 300.00"],
      ["about $5k", "USD 5000.00", "$5k", "US$ 5,000.00"],
      ["€ 50 de taxa", "EUR 50.00", "€ 50", "€ 50.00"],
    ])("%s → %s", (text, key, found, name) => {
      const r = extract(text);
      expect(r.entities).toEqual([expect.objectContaining({ type: "money", key, text: found, name })]);
      expectSpans(text, r);
    });

    it("reads the separators of either convention, and refuses numbers that fit none", () => {
      expect(keys(extract("R$ 1.500 e R$ 1,500 e R$ 10.50 e US$ 1.500"), "money")).toEqual([
        "BRL 1500.00",
        "BRL 1500.00",
        "BRL 10.50",
        "USD 1500.00",
      ]);
      expect(keys(extract("R$ 10.000,001 / R$ 1.000.00 / 10.000,00 sem moeda / R$ abc"), "money")).toEqual([]);
    });
  });

  describe("dates", () => {
    it.each([
      ["vence em 15/10/2024.", "15/10/2024"],
      ["vence 15/10/24", "15/10/24"],
      ["15.10.2024", "15.10.2024"],
      ["assinado em 15 de outubro de 2024", "15 de outubro de 2024"],
      ["15 de out. de 2024", "15 de out. de 2024"],
      ["2024-10-15T10:00", "2024-10-15"],
      ["signed on October 15, 2024", "October 15, 2024"],
      ["due 15th Oct 2024", "15th Oct 2024"],
      ["10/15/2024 (US)", "10/15/2024"],
    ])("%s → 2024-10-15", (text, found) => {
      const r = extract(text);
      expect(r.entities).toEqual([expect.objectContaining({ type: "date", key: "2024-10-15", name: "2024-10-15", text: found })]);
      expectSpans(text, r);
    });

    it("knows leap years and month lengths, and needs a year", () => {
      expect(keys(extract("1º de maio de 2024, 29/02/2024, 31/12/1999"), "date")).toEqual(["2024-05-01", "2024-02-29", "1999-12-31"]);
      expect(keys(extract("31/02/2024 29/02/2023 31/04/2024 00/10/2024 15/13/2024 2024-02-30 15 de outubro"), "date")).toEqual([]);
    });
  });

  describe("e-mails", () => {
    it("finds addresses, lowercased, without the sentence's punctuation", () => {
      const text = "Escreva para Joao.Silva@Acme.com.br. Or bob+crm@example.co.uk, please";
      const r = extract(text);
      expect(keys(r, "email")).toEqual(["joao.silva@acme.com.br", "bob+crm@example.co.uk"]);
      expect(r.entities[0]!.text).toBe("Joao.Silva@Acme.com.br");
      expectSpans(text, r);
    });

    it("leaves what is not an address", () => {
      expect(keys(extract("joão@x.com ana@empresa..com x@y.c @acme.com ana@"), "email")).toEqual([]);
    });
  });

  describe("phones", () => {
    it.each([
      ["(11) 98765-4321", "+5511987654321"],
      ["+55 11 98765-4321", "+5511987654321"],
      ["+55 (11) 98765-4321", "+5511987654321"],
      ["+5511987654321", "+5511987654321"],
      ["55 11 98765 4321", "+5511987654321"],
      ["11 98765-4321", "+5511987654321"],
      ["011 98765-4321", "+5511987654321"],
      ["ligue 11987654321", "+5511987654321"],
      ["fixo (21) 3456-7890", "+552134567890"],
      ["call +1 (415) 555-2671", "+14155552671"],
      ["+44 20 7946 0958", "+442079460958"],
    ])("%s → %s", (text, key) => {
      const r = extract(text);
      expect(keys(r, "phone")).toEqual([key]);
      expectSpans(text, r);
    });

    it("does not take CPFs, CNPJs, amounts, dates, references or numbers without an area code for phones", () => {
      // A bare valid CPF that also has a mobile number's shape ("11" area code, then 9 and eight digits).
      let cpf = "";
      for (let n = 0; !cpf; n++) {
        const candidate = cpfOf(`1191234${String(n).padStart(2, "0")}`);
        if (candidate[2] === "9") cpf = candidate;
      }
      const cnpj = cnpjOf("119876543210");
      const text = `${cpf} ${formatCpf(cpf)} ${cnpj} R$ 11987654321 15/10/2024 pedido 11987654321 98765-4321 123456789012345 +1 555`;
      const r = extract(text);
      expect(keys(r, "phone")).toEqual([]);
      expect(keys(r, "tax_id")).toEqual([`cpf:${cpf}`, `cpf:${cpf}`, `cnpj:${cnpj}`]);
      // Said to be a phone, the same digits are one.
      expect(keys(extract(`meu celular é ${cpf}`), "phone")).toEqual([`+55${cpf}`]);
    });
  });

  describe("CPF and CNPJ", () => {
    it("accepts valid check digits, formatted or bare, and rejects one digit off", () => {
      fc.assert(
        fc.property(fc.stringMatching(/^\d{9}$/), fc.stringMatching(/^\d{12}$/), fc.integer({ min: 0, max: 1 }), (b9, b12, which) => {
          const cpf = cpfOf(b9);
          const cnpj = cnpjOf(b12);
          fc.pre(!/^(\d)\1+$/.test(cpf) && !/^(\d)\1+$/.test(cnpj));
          const valid = extract(`CPF ${formatCpf(cpf)}, ${cpf}; CNPJ ${formatCnpj(cnpj)} ou ${cnpj}`);
          expect(keys(valid, "tax_id")).toEqual([`cpf:${cpf}`, `cpf:${cpf}`, `cnpj:${cnpj}`, `cnpj:${cnpj}`]);
          const badCpf = offByOne(cpf, 9 + which);
          const badCnpj = offByOne(cnpj, 12 + which);
          const invalid = extract(`CPF ${formatCpf(badCpf)}, ${badCpf}; CNPJ ${formatCnpj(badCnpj)} ou ${badCnpj}`);
          expect(keys(invalid, "tax_id")).toEqual([]);
        }),
        { seed: 20261128, numRuns: 200 },
      );
    });

    it("names them formatted, and refuses repeated digits", () => {
      const r = extract("CPF 529.982.247-25 e CNPJ 11222333000181");
      expect(r.entities.map((e) => [e.key, e.name])).toEqual([
        ["cpf:52998224725", "529.982.247-25"],
        ["cnpj:11222333000181", "11.222.333/0001-81"],
      ]);
      expect(keys(extract("111.111.111-11 00.000.000/0000-00"), "tax_id")).toEqual([]);
    });

    it("accepts the alphanumeric CNPJ (from July 2026) when formatted", () => {
      const id = cnpjOf("12ABC34501DE");
      expect(keys(extract(`CNPJ ${formatCnpj(id)}`), "tax_id")).toEqual([`cnpj:${id}`]);
      expect(keys(extract(`CNPJ ${formatCnpj(offByOne(id, 13))}`), "tax_id")).toEqual([]);
      // Bare, twelve letters and digits then two digits are more often a code than a CNPJ.
      expect(keys(extract(`código ${id}`), "tax_id")).toEqual([]);
    });
  });

  describe("the project's own names", () => {
    const known: KnownName[] = [
      { type: "company", name: "Açaí Express Ltda", aliases: ["AçaíEx"] },
      { type: "company", name: "Banco do Brasil S.A.", aliases: ["BB"] },
      { type: "company", name: "Brasil" },
      { type: "product", name: "Plano Pro" },
      { type: "product", name: "Pro" },
      { type: "person", name: "João Silva", aliases: ["Joãozinho"] },
    ];

    it("matches names and aliases whatever the case and accents, as whole words, with the canonical name and key", () => {
      const text = "A ACAI EXPRESS LTDA, a açaí express e a AcaiEx falaram com o joao silva (joãozinho) sobre o plano pro.";
      const r = extract(text, { known });
      expect(r.entities.map((e) => [e.type, e.key, e.name, e.text])).toEqual([
        ["company", "acai express", "Açaí Express Ltda", "ACAI EXPRESS LTDA"],
        ["company", "acai express", "Açaí Express Ltda", "açaí express"],
        ["company", "acai express", "Açaí Express Ltda", "AcaiEx"],
        ["person", "joao silva", "João Silva", "joao silva"],
        ["person", "joao silva", "João Silva", "joãozinho"],
        ["product", "plano pro", "Plano Pro", "plano pro"],
      ]);
      expectSpans(text, r);
    });

    it("prefers the longest name, and short names only when capitalised", () => {
      const r = extract("Banco do Brasil, o Brasil, BB, bb; Pro, pro, Brasileiro, Acaiexpress", { known });
      expect(r.entities.map((e) => e.text)).toEqual(["Banco do Brasil", "Brasil", "BB", "Pro"]);
      expect(r.entities[0]!.key).toBe("banco do brasil");
    });

    it("keys company names without their legal suffix, other names as written", () => {
      expect(["Acme Ltda", "ACME S.A.", "Acme, Inc.", "acme  s/a", "Acme LLC"].map((n) => nameKey("company", n))).toEqual(
        Array(5).fill("acme"),
      );
      expect(nameKey("person", "João  Sá")).toBe("joao sa");
      expect(nameKey("company", "Ltda")).toBe("ltda");
    });
  });

  describe("first-person statements", () => {
    const known: KnownName[] = [
      { type: "company", name: "Acme Ltda" },
      { type: "product", name: "Plano Pro", aliases: ["Pro"] },
    ];

    it.each<[string, FactKey, string]>([
      ["Prefiro pagar com PIX", "preference.payment.method", "pix"],
      ["prefiro boleto", "preference.payment.method", "boleto"],
      ["Preferimos pagar via transferência bancária", "preference.payment.method", "bank_transfer"],
      ["eu prefiro cartão de crédito", "preference.payment.method", "credit_card"],
      ["Prefiro falar pelo WhatsApp", "preference.contact.channel", "whatsapp"],
      ["Meu e-mail é Ana@Empresa.com.br", "attribute.contact.email", "ana@empresa.com.br"],
      ["meu email: ana@empresa.com", "attribute.contact.email", "ana@empresa.com"],
      ["Meu telefone é (11) 98765-4321", "attribute.contact.phone", "+5511987654321"],
      ["meu cpf é 529.982.247-25", "attribute.contact.cpf", "cpf:52998224725"],
      ["Meu nome é João da Silva e moro aqui", "attribute.contact.name", "joao da silva"],
      ["Moro em São Paulo há 5 anos", "attribute.location", "sao paulo"],
      ["moro no Rio de Janeiro", "attribute.location", "rio de janeiro"],
      ["Não posso pagar mais de R$ 500 por mês", "constraint.budget.max", "BRL 500.00"],
      ["posso pagar até R$ 1.200,00", "constraint.budget.max", "BRL 1200.00"],
      ["I prefer to pay by credit card", "preference.payment.method", "credit_card"],
      ["I'd prefer to be contacted by email", "preference.contact.channel", "email"],
      ["My email is Bob@Example.com", "attribute.contact.email", "bob@example.com"],
      ["my phone number is +1 415 555 2671", "attribute.contact.phone", "+14155552671"],
      ["I live in New York", "attribute.location", "new york"],
      ["I can’t pay more than $1,200", "constraint.budget.max", "USD 1200.00"],
    ])("%s → %s = %s", (text, key, value) => {
      const r = extract(text, { known });
      expect(facts(r)).toEqual([[key, value]]);
      expect(r.facts[0]!.factType).toBe(FACT_KEYS[key].type);
      expectSpans(text, r);
    });

    it.each([
      ["Trabalho na Acme", "attribute.employer", "acme", "works_at", "company", "acme"],
      ["Sou da Acme Ltda.", "attribute.employer", "acme", "works_at", "company", "acme"],
      ["trabalho no Banco Itaú desde 2020", "attribute.employer", "banco itau", "works_at", "company", "banco itau"],
      ["I work at Globex Corp.", "attribute.employer", "globex", "works_at", "company", "globex"],
      ["Tenho interesse no plano Pro", "preference.product.interest", "plano pro", "interested_in", "product", "plano pro"],
      [
        "I'm interested in the Enterprise plan",
        "preference.product.interest",
        "enterprise plan",
        "interested_in",
        "product",
        "enterprise plan",
      ],
      ["Comprei o Pro ontem", "event.purchase", "plano pro", "bought", "product", "plano pro"],
      ["I bought the Starter plan", "event.purchase", "starter plan", "bought", "product", "starter plan"],
    ])("%s → %s = %s and %s", (text, key, value, relation, entityType, entityKey) => {
      const r = extract(text, { known });
      expect(facts(r)).toEqual([[key, value]]);
      expect(r.relations).toEqual([expect.objectContaining({ type: relation, entityType, entityKey })]);
      // The relation's entity is among the entities, so the caller can create the node it points at.
      expect(r.entities).toContainEqual(expect.objectContaining({ type: entityType, key: entityKey }));
      expectSpans(text, r);
    });

    it("counts only the contact's own first person, not an agent's or a document's", () => {
      const text = "Prefiro pagar com PIX. Trabalho na Acme. Meu email é ana@acme.com";
      expect(extract(text, { known }).facts).toHaveLength(3);
      expect(extract(text, { known, speaker: "contact" }).facts).toHaveLength(3);
      for (const speaker of ["agent", "document"] as const) {
        const r = extract(text, { known, speaker });
        expect(r.facts).toEqual([]);
        expect(r.relations).toEqual([]);
        // The entities are still there: a document mentioning Acme mentions it.
        expect(keys(r, "company")).toEqual(["acme"]);
        expect(keys(r, "email")).toEqual(["ana@acme.com"]);
      }
    });

    it("says nothing for negations, questions, third persons, or objects that are not names", () => {
      const text = [
        "Eu não trabalho mais na Acme.",
        "Não tenho interesse no plano Pro.",
        "Posso pagar até R$ 500?",
        "Ele prefere boleto.",
        "I'm not interested in the Pro plan.",
        "Trabalho em casa, trabalho em São Paulo.",
        "Sou do Rio.",
        "Moro em uma casa.",
        "prefiro não pagar com boleto.",
        "I never bought anything.",
      ].join(" ");
      const r = extract(text, { known });
      expect(r.facts).toEqual([]);
      expect(r.relations).toEqual([]);
    });

    it("takes every kind from one mixed message, each span pointing at its words", () => {
      const text =
        "Oi! Meu nome é Ana Souza, trabalho na Acme e moro em Belo Horizonte. Prefiro boleto, não posso pagar mais de " +
        "R$ 2.500,00. Meu e-mail é ana@acme.com.br e meu celular é (31) 99876-5432. Tenho interesse no Pro.";
      const r = extract(text, { known });
      expect(facts(r)).toEqual([
        ["attribute.contact.name", "ana souza"],
        ["attribute.employer", "acme"],
        ["attribute.location", "belo horizonte"],
        ["preference.payment.method", "boleto"],
        ["constraint.budget.max", "BRL 2500.00"],
        ["attribute.contact.email", "ana@acme.com.br"],
        ["attribute.contact.phone", "+5531998765432"],
        ["preference.product.interest", "plano pro"],
      ]);
      expect(r.relations.map((x) => [x.type, x.entityKey])).toEqual([
        ["works_at", "acme"],
        ["interested_in", "plano pro"],
      ]);
      expectSpans(text, r);
      for (const f of r.facts) expect(Object.keys(FACT_KEYS)).toContain(f.factKey);
    });
  });

  it("keeps spans right across characters that folding reshapes", () => {
    // Decomposed accents, Hangul, a compatibility ideograph that folds to two code units, an emoji.
    const text = "Ac\u0327ai\u0301 Express 가나 \uFA6C 😀 paga R$ 10,00 a ana@x.com — Açaí Express";
    const r = extract(text, { known: [{ type: "company", name: "Açaí Express" }] });
    expect(r.entities.map((e) => e.text)).toEqual(["Ac\u0327ai\u0301 Express", "R$ 10,00", "ana@x.com", "Açaí Express"]);
    expectSpans(text, r);
  });

  describe("hostile and large inputs", () => {
    it.each([
      ["digits", "9".repeat(1_000_000)],
      ["digits, dots and spaces", "1.2 3.4 55.666.777 ".repeat(50_000)],
      ["phone-like groups", "+1 1 1 1 1 1 1 1 1 1 1 1 ".repeat(40_000)],
      ["amount-like groups", "R$ 1.000.000.000.".repeat(60_000)],
      ["e-mail-like runs", `${"a.".repeat(500_000)}@`],
      ["statement triggers", "prefiro prefiro trabalho na meu email é ".repeat(25_000)],
    ])("reads a megabyte of %s to the end with a bounded result", (_, text) => {
      const r = extract(text, { known: [{ type: "company", name: "Acme" }] });
      expect(r.entities.length).toBeLessThanOrEqual(MAX_ENTITIES);
      expect(r.facts.length).toBeLessThanOrEqual(100);
    });

    it("caps entities per call, keeping the first ones in the text", () => {
      const text = Array.from({ length: 800 }, (_, i) => `pedido de R$ ${i + 1},00`).join("; ");
      const r = extract(text);
      expect(r.entities).toHaveLength(MAX_ENTITIES);
      expect(r.entities[0]!.key).toBe("BRL 1.00");
      expect(r.entities.at(-1)!.key).toBe(`BRL ${MAX_ENTITIES}.00`);
    });
  });
});

describe("locating a model's quotes", () => {
  const text = "Contrato com a  Açaí Express:\nvalor R$ 10.000,00. Açaí Express paga em dia.";

  it("finds exact quotes, then ignoring case, accents and whitespace, after a given offset", () => {
    const at = text.indexOf("R$");
    expect(locate(text, "R$ 10.000,00")).toEqual({ start: at, end: at + 12 });
    const first = locate(text, "acai express")!;
    expect(text.slice(first.start, first.end)).toBe("Açaí Express");
    const second = locate(text, "acai express", first.end)!;
    expect(second.start).toBeGreaterThan(first.end);
    expect(text.slice(second.start, second.end)).toBe("Açaí Express");
    const squeezed = locate(text, "com a Açaí Express: valor")!;
    expect(text.slice(squeezed.start, squeezed.end)).toBe("com a  Açaí Express:\nvalor");
  });

  it("returns null for what the text does not say", () => {
    expect(locate(text, "Umbrella Corporation")).toBeNull();
    expect(locate(text, "   ")).toBeNull();
  });
});
