import type { DocumentResource, SearchResponse } from "./api";
import type { CorpusDoc } from "./beir";

const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_ATTEMPTS = 5;

/** The REST calls the evaluation makes, with the retries a busy local stack needs (429/503 carry Retry-After). */
export class EvalClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** One corpus entry as one plain-text upload; its `_id` names the file so the server's logs can be traced back. */
  upload(doc: CorpusDoc): Promise<DocumentResource> {
    const form = new FormData();
    const name = `${doc._id.replace(/[^\w.-]+/g, "_")}.txt`;
    form.set("file", new File([doc.text || doc.title], name, { type: "text/plain" }));
    if (doc.title) form.set("title", doc.title);
    const type = doc.metadata?.document_type;
    if (typeof type === "string" && type) form.set("documentType", type);
    return this.call<DocumentResource>("POST", "/api/v1/documents", form);
  }

  document(id: string): Promise<DocumentResource> {
    return this.call<DocumentResource>("GET", `/api/v1/documents/${encodeURIComponent(id)}`);
  }

  search(params: URLSearchParams): Promise<SearchResponse> {
    return this.call<SearchResponse>("GET", `/api/v1/memory/search?${params}`);
  }

  private async call<T>(method: string, path: string, body?: FormData): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${this.baseUrl}${path}`, { method, body, headers: { authorization: `Bearer ${this.apiKey}` } });
      const text = await res.text();
      if (res.ok) return JSON.parse(text) as T;
      if (!RETRYABLE.has(res.status) || attempt === MAX_ATTEMPTS) {
        throw new Error(`${method} ${path.split("?")[0]} → ${res.status}: ${text.slice(0, 500)}`);
      }
      const wait = Number(res.headers.get("retry-after"));
      await sleep(Number.isFinite(wait) && wait > 0 ? Math.min(wait, 30) * 1000 : 250 * 2 ** attempt);
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `concurrency` in flight, keeping input order in the result. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
