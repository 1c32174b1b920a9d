import type { DocumentResource } from "./api";
import type { CorpusDoc } from "./beir";
import { type EvalClient, mapLimit, sleep } from "./client";

export interface Ingested {
  /** API document id → the corpus ids it stands for (identical texts are one document). */
  corpusIdsOf: Map<string, string[]>;
  ready: number;
  failed: { corpusId: string; error: string }[];
  /** Ready corpus entries whose document the knowledge graph had not read when the run gave up waiting. */
  knowledgeUnread: number;
  seconds: number;
}

const POLL_MS = 500;
const FAIL_FAST = 5;

/**
 * Uploads every corpus entry and waits until the pipeline (queue → extract → chunk → embed → insert) has finished each
 * one. A document that fails or never finishes is reported and left out; the run goes on, so one bad file does not
 * cost the whole evaluation — the report says how many were missing.
 */
export async function ingestCorpus(
  client: EvalClient,
  corpus: readonly CorpusDoc[],
  opts: { concurrency: number; timeoutMs: number; pollMs?: number; progress: (line: string) => void },
): Promise<Ingested> {
  const started = performance.now();
  const corpusIdsOf = new Map<string, string[]>();
  const failed: Ingested["failed"] = [];
  const pending = new Map<string, DocumentResource>();
  let uploaded = 0;
  let refused: string | undefined;
  await mapLimit(corpus, opts.concurrency, async (doc) => {
    if (refused) return;
    try {
      const res = await client.upload(doc);
      const ids = corpusIdsOf.get(res.id) ?? [];
      ids.push(doc._id);
      corpusIdsOf.set(res.id, ids);
      pending.set(res.id, res);
    } catch (err) {
      failed.push({ corpusId: doc._id, error: (err as Error).message });
      // An API that refuses the first uploads outright (missing route, wrong shape) would refuse them all.
      if (failed.length >= FAIL_FAST && !corpusIdsOf.size) refused = (err as Error).message;
    }
    opts.progress(`uploaded ${++uploaded}/${corpus.length}`);
  });
  if (refused) throw new Error(`the first ${failed.length} uploads were refused, giving up: ${refused}`);

  let ready = 0;
  const deadline = Date.now() + opts.timeoutMs;
  const settle = (id: string, doc: DocumentResource) => {
    if (doc.status === "ready") ready += corpusIdsOf.get(id)!.length;
    else if (doc.status === "failed") {
      for (const corpusId of corpusIdsOf.get(id)!) failed.push({ corpusId, error: doc.error ?? "failed without a reason" });
      corpusIdsOf.delete(id);
    } else return;
    pending.delete(id);
  };
  for (const [id, doc] of pending) settle(id, doc);
  while (pending.size && Date.now() < deadline) {
    await sleep(opts.pollMs ?? POLL_MS);
    await mapLimit([...pending.keys()], opts.concurrency, async (id) => settle(id, await client.document(id)));
    opts.progress(`ready ${ready}/${corpus.length}, failed ${failed.length}, processing ${pending.size}`);
  }
  for (const id of pending.keys()) {
    for (const corpusId of corpusIdsOf.get(id)!) failed.push({ corpusId, error: `not ready after ${opts.timeoutMs / 1000} s` });
    corpusIdsOf.delete(id);
  }
  // The knowledge graph reads each document after it is ready (its own queue event): the graph channel can only find
  // what it has read, so the run waits for every ready document's `knowledge`.
  // Looked at least once, even when becoming ready used up the time.
  const unread = new Set(corpusIdsOf.keys());
  for (let first = true; unread.size && (first || Date.now() < deadline); first = false) {
    if (!first) await sleep(opts.pollMs ?? POLL_MS);
    await mapLimit([...unread], opts.concurrency, async (id) => {
      if ((await client.document(id)).knowledge) unread.delete(id);
    });
    opts.progress(`knowledge read for ${corpusIdsOf.size - unread.size}/${corpusIdsOf.size} documents`);
  }
  const knowledgeUnread = [...unread].reduce((n, id) => n + corpusIdsOf.get(id)!.length, 0);
  return { corpusIdsOf, ready, failed, knowledgeUnread, seconds: (performance.now() - started) / 1000 };
}
