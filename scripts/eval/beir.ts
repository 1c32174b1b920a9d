/**
 * The BEIR folder layout (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), read leniently where real datasets differ
 * (missing qrels header, TREC's four-column qrels, numeric ids, BOM, CRLF) and strictly where a mistake would silently
 * skew the scores: every malformed line is an error naming the file and line. No Node imports: the tests run it in
 * workerd, and the CLI hands in its own file reader.
 */

export interface CorpusDoc {
  _id: string;
  title: string;
  text: string;
  metadata?: Record<string, unknown>;
}

export interface Query {
  _id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

/** query id → corpus id → graded relevance (0 = judged not relevant). */
export type Qrels = Map<string, Map<string, number>>;

export interface BeirDataset {
  corpus: CorpusDoc[];
  queries: Query[];
  qrels: Qrels;
  /** Things worth a look that do not make scores wrong (judgements of documents missing from the corpus…). */
  warnings: string[];
}

export class BeirFormatError extends Error {
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = "BeirFormatError";
  }
}

const lines = (text: string) => text.replace(/^\uFEFF/, "").split(/\r?\n/);

function parseJsonl(text: string, file: string, each: (row: Record<string, unknown>, line: number) => void) {
  lines(text).forEach((raw, i) => {
    if (!raw.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (err) {
      throw new BeirFormatError(file, i + 1, `not valid JSON (${(err as Error).message})`);
    }
    if (!row || typeof row !== "object" || Array.isArray(row)) throw new BeirFormatError(file, i + 1, "expected a JSON object");
    each(row as Record<string, unknown>, i + 1);
  });
}

function idOf(row: Record<string, unknown>, file: string, line: number, seen: Set<string>): string {
  const id = row._id;
  if ((typeof id !== "string" || !id) && typeof id !== "number") throw new BeirFormatError(file, line, '"_id" must be a non-empty string');
  const s = String(id);
  if (seen.has(s)) throw new BeirFormatError(file, line, `duplicate _id "${s}"`);
  seen.add(s);
  return s;
}

function textOf(row: Record<string, unknown>, key: string, file: string, line: number, required: boolean): string {
  const v = row[key];
  if (v === undefined || v === null) {
    if (required) throw new BeirFormatError(file, line, `"${key}" is missing`);
    return "";
  }
  if (typeof v !== "string") throw new BeirFormatError(file, line, `"${key}" must be a string`);
  return v;
}

function metadataOf(row: Record<string, unknown>, file: string, line: number) {
  const m = row.metadata;
  if (m === undefined || m === null) return undefined;
  if (typeof m !== "object" || Array.isArray(m)) throw new BeirFormatError(file, line, '"metadata" must be an object');
  return m as Record<string, unknown>;
}

export function parseCorpus(text: string, file = "corpus.jsonl"): CorpusDoc[] {
  const out: CorpusDoc[] = [];
  const seen = new Set<string>();
  parseJsonl(text, file, (row, line) => {
    const doc: CorpusDoc = {
      _id: idOf(row, file, line, seen),
      title: textOf(row, "title", file, line, false),
      text: textOf(row, "text", file, line, true),
    };
    if (!doc.text.trim() && !doc.title.trim()) throw new BeirFormatError(file, line, "document has neither title nor text");
    const metadata = metadataOf(row, file, line);
    out.push(metadata ? { ...doc, metadata } : doc);
  });
  return out;
}

export function parseQueries(text: string, file = "queries.jsonl"): Query[] {
  const out: Query[] = [];
  const seen = new Set<string>();
  parseJsonl(text, file, (row, line) => {
    const q: Query = { _id: idOf(row, file, line, seen), text: textOf(row, "text", file, line, true) };
    if (!q.text.trim()) throw new BeirFormatError(file, line, "query text is empty");
    const metadata = metadataOf(row, file, line);
    out.push(metadata ? { ...q, metadata } : q);
  });
  return out;
}

/**
 * `query-id corpus-id score` (BEIR) or `query-id iteration corpus-id score` (TREC), tab or space separated; a first
 * line whose score is not a number is the header.
 */
export function parseQrels(text: string, file = "qrels/test.tsv"): Qrels {
  const qrels: Qrels = new Map();
  let first = true;
  lines(text).forEach((raw, i) => {
    if (!raw.trim()) return;
    const isFirst = first;
    first = false;
    // Tabs when there are any (ids may then hold spaces), else runs of spaces as in TREC files.
    const fields = raw.includes("\t") ? raw.split("\t").map((f) => f.trim()) : raw.trim().split(/\s+/);
    if (fields.length !== 3 && fields.length !== 4) {
      throw new BeirFormatError(file, i + 1, `expected 3 columns (query-id, corpus-id, score), found ${fields.length}`);
    }
    const [qid, docId, score] = (fields.length === 3 ? fields : [fields[0], fields[2], fields[3]]) as [string, string, string];
    if (!/^-?\d+$/.test(score)) {
      if (isFirst) return;
      throw new BeirFormatError(file, i + 1, `score "${score}" is not an integer`);
    }
    if (!qid || !docId) throw new BeirFormatError(file, i + 1, "empty query-id or corpus-id");
    const judged = qrels.get(qid) ?? new Map<string, number>();
    if (judged.has(docId)) throw new BeirFormatError(file, i + 1, `query "${qid}" judges "${docId}" twice`);
    judged.set(docId, Number(score));
    qrels.set(qid, judged);
  });
  return qrels;
}

/** Judgements must point at real queries and documents; pointing elsewhere is reported, not fatal (BEIR sets do it). */
export function checkReferences(corpus: CorpusDoc[], queries: Query[], qrels: Qrels): string[] {
  const docs = new Set(corpus.map((d) => d._id));
  const qs = new Set(queries.map((q) => q._id));
  const warnings: string[] = [];
  const unknownQueries = [...qrels.keys()].filter((q) => !qs.has(q));
  if (unknownQueries.length) warnings.push(`${unknownQueries.length} judged queries are not in queries.jsonl (e.g. ${unknownQueries[0]})`);
  const unknownDocs = new Set([...qrels.values()].flatMap((j) => [...j.keys()].filter((d) => !docs.has(d))));
  if (unknownDocs.size) warnings.push(`${unknownDocs.size} judged documents are not in corpus.jsonl (e.g. ${[...unknownDocs][0]})`);
  const unjudged = queries.filter((q) => !qrels.has(q._id)).length;
  if (unjudged) warnings.push(`${unjudged} queries have no judgements and are left out of the averages`);
  return warnings;
}

/** Reads a BEIR folder through `read` (path → text; the CLI passes fs.readFile). */
export async function readBeir(dir: string, read: (path: string) => Promise<string>, split = "test"): Promise<BeirDataset> {
  const at = (name: string) => `${dir.replace(/\/+$/, "")}/${name}`;
  const load = async (name: string) => {
    try {
      return await read(at(name));
    } catch (err) {
      throw new Error(`${at(name)}: cannot read (${(err as Error).message})`);
    }
  };
  const qrelsFile = `qrels/${split}.tsv`;
  const [corpusText, queriesText, qrelsText] = await Promise.all([load("corpus.jsonl"), load("queries.jsonl"), load(qrelsFile)]);
  const corpus = parseCorpus(corpusText, at("corpus.jsonl"));
  const queries = parseQueries(queriesText, at("queries.jsonl"));
  const qrels = parseQrels(qrelsText, at(qrelsFile));
  return { corpus, queries, qrels, warnings: checkReferences(corpus, queries, qrels) };
}
