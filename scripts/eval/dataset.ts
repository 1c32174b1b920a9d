/**
 * The synthetic retrieval set: the documents of a Brazilian equipment dealer that serves its customers on WhatsApp
 * (contracts, boletos and notas fiscais, quotes, manuals, policies), mostly in Portuguese, with the questions its
 * customers and staff ask and graded judgements. Pure and seeded: `npm run eval:dataset` writes what this returns,
 * and a test regenerates it and compares with the committed files, so this file stays their only author.
 */
import type { CorpusDoc, Query } from "./beir";
import { buildContracts, type ContractKind, type ContractPin } from "./synthetic/contracts";
import { CLIENTS, type Client, clientByKey, VENDOR } from "./synthetic/entities";
import { cnpj } from "./synthetic/format";
import { buildInvoices, type InvoicePlan } from "./synthetic/invoices";
import { buildManuals } from "./synthetic/manuals";
import { buildPolicies } from "./synthetic/policies";
import { Rng } from "./synthetic/prng";
import { buildProposals } from "./synthetic/proposals";
import { QueryBuilder } from "./synthetic/queries";
import type { Ask, SynthDoc } from "./synthetic/types";

export const DEFAULT_SEED = 20251;

/** File name (relative to the BEIR folder) → content. */
export type DatasetFiles = Record<"corpus.jsonl" | "queries.jsonl" | "qrels/test.tsv", string>;

interface ClientPlan {
  contracts: ContractKind[];
  invoices: InvoicePlan;
  proposals: number;
  pin?: ContractPin;
}

/** The issue's own examples must hold: one contract worth R$ 12.500,00 for the Padaria São João, one boleto for the Ótica Visão. */
const PINNED: Record<string, ClientPlan> = {
  "sao-joao": {
    contracts: ["manutencao"],
    invoices: { boletos: 1, nfse: true, nfe: false },
    proposals: 1,
    pin: { totalCents: 1_250_000, installments: 10, months: 12 },
  },
  "otica-visao": { contracts: ["manutencao"], invoices: { boletos: 1, nfse: false, nfe: true }, proposals: 0 },
};

function plan(rng: Rng, cl: Client): ClientPlan {
  const pinned = PINNED[cl.key];
  if (pinned) return pinned;
  if (cl.language === "en") {
    return {
      contracts: [rng.chance(0.6) ? "manutencao" : "locacao"],
      invoices: { boletos: rng.int(1, 2), nfse: false, nfe: false },
      proposals: rng.int(0, 1),
    };
  }
  const contracts: ContractKind[] = [];
  if (rng.chance(0.8)) contracts.push("manutencao");
  if (rng.chance(0.35)) contracts.push("locacao");
  if (rng.chance(0.15) || (!contracts.length && rng.chance(0.5))) contracts.push("instalacao");
  return {
    contracts,
    invoices: { boletos: rng.pick([0, 1, 1, 2]), nfse: rng.chance(0.4), nfe: rng.chance(0.4) },
    proposals: rng.pick([0, 1, 1, 2]),
  };
}

export interface Dataset {
  corpus: CorpusDoc[];
  queries: Query[];
  /** [query id, corpus id, grade], in file order. */
  qrels: [string, string, number][];
}

export function generateDataset(seed = DEFAULT_SEED): Dataset {
  const rng = new Rng(seed);
  const vendorCnpj = cnpj(VENDOR.cnpjBase);
  const docs: SynthDoc[] = [];
  const asks: Ask[] = [];
  const counters = { contract: 0, invoice: 0, proposal: 0 };
  const next = (k: keyof typeof counters) => () => ++counters[k];
  for (const cl of CLIENTS) {
    const p = plan(rng, cl);
    const party = { cl, cnpj: cnpj(`${rng.digits(8)}0001`), vendorCnpj };
    const contracts = buildContracts(rng, cl, party.cnpj, vendorCnpj, p.contracts, next("contract"), p.pin);
    const invoices = buildInvoices(rng, party, contracts.facts, p.invoices, next("invoice"));
    const proposals = buildProposals(rng, cl, p.proposals, next("proposal"));
    for (const part of [contracts, invoices, proposals]) {
      docs.push(...part.docs);
      asks.push(...part.asks);
    }
  }
  for (const part of [buildManuals(), buildPolicies()]) {
    docs.push(...part.docs);
    asks.push(...part.asks);
  }

  const qb = new QueryBuilder(rng, docs, asks);
  addHandWritten(qb, docs);
  addQuoted(qb, rng, asks);
  addExclusions(qb, rng, docs);
  qb.fillQuotas();
  // After the quotas and without the generator: the questions above, and the upload order below, stay as they were.
  addGraph(qb, docs);

  // Upload order decides the `recent` channel; shuffled so that recency says nothing about type or client.
  const ordered = rng.shuffle(docs);
  const idOf = new Map(ordered.map((d, i) => [d.key, `doc-${String(i + 1).padStart(3, "0")}`]));
  const corpus = ordered.map((d) => ({
    _id: idOf.get(d.key)!,
    title: d.title,
    text: d.text,
    metadata: { document_type: d.type, language: d.language },
  }));
  const queries: Query[] = [];
  const qrels: [string, string, number][] = [];
  qb.queries.forEach((q, i) => {
    const qid = `q-${String(i + 1).padStart(3, "0")}`;
    queries.push({ _id: qid, text: q.text, metadata: { category: q.category, language: q.language } });
    const graded = [...q.grades].map(([key, grade]) => [idOf.get(key)!, grade] as const);
    graded.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [docId, grade] of graded) qrels.push([qid, docId, grade]);
  });
  return { corpus, queries, qrels };
}

/** The examples the issue and the team quoted, kept verbatim whatever the seed picks. */
function addHandWritten(qb: QueryBuilder, docs: SynthDoc[]) {
  const only = (prefix: string) => {
    const found = docs.filter((d) => d.key.startsWith(prefix));
    if (found.length !== 1) throw new Error(`expected one document ${prefix}*, found ${found.length}`);
    return found[0]!.key;
  };
  qb.add("contract-value", "pt", "Qual o valor do contrato que enviamos para a Padaria São João?", only("contract:sao-joao:"));
  qb.add("boleto-due", "pt", "quando vence o boleto da Ótica Visão?", only("invoice:otica-visao:boleto"));
  qb.add("proposal-total", "pt", "quanto custa o orcamento da padaria sao joao?", only("proposal:sao-joao:"));
  const warranty = ["policy:garantia:pt", "policy:garantia:en"];
  qb.add("manual-warranty", "en", "what is the warranty period for the X200 blender?", "manual:x200:en", ["manual:x200:pt", ...warranty]);
  qb.add("manual-warranty", "pt", "garantia do liquidificador x200 e de quantos meses", "manual:x200:pt", ["manual:x200:en", ...warranty]);
}

/** Quoted names of the clients whose names have a near twin (São José / São João, Nova Visão / Visão…). */
function addQuoted(qb: QueryBuilder, rng: Rng, asks: Ask[]) {
  for (const key of ["sao-jose", "nova-visao", "bem-viver", "grao-fino"]) {
    const cl = clientByKey(key);
    const own = asks.filter(
      (a) =>
        a.language === "pt" &&
        !a.unique &&
        qb.doc(a.target).client === key &&
        qb.available(a.target, a.category) &&
        a.phrasings.some((p) => p.includes(cl.name)),
    );
    if (!own.length) continue;
    const ask = rng.pick(own);
    const text = rng.pick(ask.phrasings.filter((p) => p.includes(cl.name))).replace(cl.name, `"${cl.name}"`);
    qb.add(`quoted-${ask.category}`, "pt", text, ask.target, ask.related, ask.exclude);
  }
  qb.add("quoted-manual-warranty", "pt", 'qual a garantia da máquina "Barista Pro 3"?', "manual:barista:pt", [
    "manual:barista:en",
    "policy:garantia:pt",
    "policy:garantia:en",
  ]);
}

/** `-term` queries: the client holds two contracts, or two boletos, and the question rules one out. */
function addExclusions(qb: QueryBuilder, rng: Rng, docs: SynthDoc[]) {
  const keys = new Set(docs.map((d) => d.key));
  const both = CLIENTS.filter((c) => keys.has(`contract:${c.key}:manutencao`) && keys.has(`contract:${c.key}:locacao`));
  for (const cl of rng.shuffle(both).slice(0, 2)) {
    const target = `contract:${cl.key}:manutencao`;
    if (!qb.available(target, "exclusion-contract")) continue;
    qb.add("exclusion-contract", "pt", `contrato ${cl.name} valor mensal -locação`, target, "client", [`contract:${cl.key}:locacao`]);
  }
  qb.add(
    "exclusion-manual",
    "pt",
    "garantia liquidificador industrial -X300",
    "manual:x200:pt",
    ["manual:x200:en"],
    ["manual:x300:pt", "manual:x300:en"],
  );
}

/**
 * Questions only the knowledge graph answers well: a client's CNPJ typed as bare digits. The documents print it
 * formatted ("12.345.678/0001-90"), which full text splits into other tokens; the graph keys it by its digits
 * (cnpj:…) whichever way it is written. Every document that prints it is relevant; the contract (else the first one)
 * most. Clients are taken in their fixed order, never by the generator.
 */
function addGraph(qb: QueryBuilder, docs: SynthDoc[]) {
  const GRAPH_QUESTIONS = 6;
  let added = 0;
  for (const cl of CLIENTS) {
    if (added === GRAPH_QUESTIONS) break;
    const printed = docs.filter((d) => d.client === cl.key && /CNPJ/.test(d.text));
    const formatted = printed
      .flatMap((d) => d.text.match(/\d{2}\.\d{3}\.\d{3}\/\d{4}-\d{2}/g) ?? [])
      .find((c) => !c.startsWith(cnpj(VENDOR.cnpjBase).slice(0, 10)));
    if (!formatted) continue;
    const holding = docs.filter((d) => d.text.includes(formatted)).map((d) => d.key);
    const target = holding.find((k) => k.startsWith("contract:")) ?? holding[0]!;
    const digits = formatted.replace(/\D/g, "");
    const text = cl.language === "en" ? `which documents mention CNPJ ${digits}?` : `quais documentos citam o CNPJ ${digits}?`;
    qb.add(
      "graph-cnpj",
      cl.language,
      text,
      target,
      holding.filter((k) => k !== target),
    );
    added++;
  }
}

export function serializeDataset(d: Dataset): DatasetFiles {
  const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  return {
    "corpus.jsonl": jsonl(d.corpus),
    "queries.jsonl": jsonl(d.queries),
    "qrels/test.tsv": `query-id\tcorpus-id\tscore\n${d.qrels.map((r) => `${r.join("\t")}\n`).join("")}`,
  };
}
