import { AppError } from "../../lib/errors";

/**
 * How calls to model providers fail, in one place. Messages name the provider and the model, never the URL (it may
 * carry credentials), the key, the texts, or the peer's own error body (it may echo any of them).
 *
 * - `unavailable` (503): worth retrying later — timeouts, refused or lost connections, 5xx, 429;
 * - `bad_gateway` (502): the provider answered but we cannot use the answer, or refused our request (4xx: a wrong
 *   key or model name) — retrying will not help until someone fixes the configuration.
 */
export interface ModelTarget {
  /** e.g. "openai", "workers-ai", "http rerank". */
  provider: string;
  model: string;
}

export function modelUnavailable(target: ModelTarget, reason: string, cause?: unknown): AppError {
  return new AppError(
    "unavailable",
    `${target.provider} model ${target.model} is unavailable: ${reason}`,
    { provider: target.provider, model: target.model },
    { cause },
  );
}

export function modelRejected(target: ModelTarget, reason: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError("bad_gateway", `${target.provider} model ${target.model}: ${reason}`, {
    provider: target.provider,
    model: target.model,
    ...extra,
  });
}

/** Blank texts have no embedding or relevance worth paying for, and several providers reject them outright. */
export function assertNoBlankTexts(texts: string[], what: string) {
  const blank = texts.findIndex((t) => typeof t !== "string" || t.trim() === "");
  if (blank >= 0) {
    throw new AppError("invalid_request", `Cannot ${what} a blank text (item ${blank})`, [{ path: String(blank), message: "blank text" }]);
  }
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `call` with an abort signal and gives up after `timeoutMs` even if the callee ignores the signal (a binding or
 * a body read that never settles): the caller is released either way.
 */
export async function withDeadline<T>(target: ModelTarget, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(modelUnavailable(target, `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * POSTs JSON to a model endpoint under a deadline that covers the whole exchange (headers and body), and returns
 * the parsed answer or throws one of the errors above.
 */
export function postJson(target: ModelTarget, url: string, body: unknown, opts: { apiKey?: string; timeoutMs: number }): Promise<unknown> {
  return fetchJson(
    target,
    url,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
      },
      body: JSON.stringify(body),
    },
    opts.timeoutMs,
  );
}

/** Any one HTTP exchange with a model endpoint (e.g. a multipart upload), failing as postJson does. */
export async function fetchJson(target: ModelTarget, url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
  return withDeadline(target, timeoutMs, async (signal) => {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { ...init, signal });
      text = await res.text();
    } catch (err) {
      if (signal.aborted) throw modelUnavailable(target, `no answer within ${timeoutMs} ms`, err);
      throw modelUnavailable(target, "the connection failed before it answered", err);
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw modelUnavailable(target, `it answered HTTP ${res.status}`);
    }
    if (!res.ok) {
      const hint = res.status === 401 || res.status === 403 ? " (check the API key)" : "";
      throw modelRejected(target, `it refused the request with HTTP ${res.status}${hint}`, { status: res.status });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw modelRejected(target, "it answered with something that is not JSON");
    }
  });
}
