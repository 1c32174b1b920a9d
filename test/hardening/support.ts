import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { type ApiResponse, api } from "../support/api";

/** Asserts `{ error: { code, message, requestId } }` with the given status and code, and returns the error. */
export function expectRejected(res: ApiResponse, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String), requestId: expect.any(String) } });
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expect(res.body.error.requestId).toBe(res.headers.get("X-Request-Id"));
  return res.body.error as { code: string; message: string; details?: any; requestId: string };
}

/** The API still answers after the hostile request. */
export async function expectHealthy() {
  const res = await api("/health");
  expect(res.status).toBe(200);
}

/** A request with exact bytes and headers (no Content-Type is added unless given). */
export async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array }) {
  const res = await exports.default.fetch(`http://crm.test${path}`, {
    method: init.method ?? "POST",
    headers: init.headers,
    body: init.body,
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body, headers: res.headers } as ApiResponse;
}

export const nested = (depth: number, leaf = "1") => `${"[".repeat(depth)}${leaf}${"]".repeat(depth)}`;

/** base64url of JSON, as cursors are made. */
export const cursorOf = (values: unknown) => btoa(JSON.stringify(values)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
