import { expect, inject } from "vitest";
import { type Config, parseConfig } from "../../src/env";
import { AppError } from "../../src/lib/errors";

/** The model peer started by test/global-setup.ts, and its controls. */
export const peerUrl = () => inject("modelPeerUrl");
export const peerKey = () => inject("modelPeerKey");

/** A model name of its own per test: faults and recorded calls on the peer are per model name. */
export const uniqueModel = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export async function queueFaults(model: string, ...faults: string[]) {
  const res = await fetch(`${peerUrl()}/__peer/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, faults }),
  });
  if (!res.ok) throw new Error(`model peer faults: ${res.status}`);
  await res.body?.cancel();
}

export async function peerCalls(model: string): Promise<{ endpoint: string; inputs: number; dimensions?: number; first?: string }[]> {
  const res = await fetch(`${peerUrl()}/__peer/calls?model=${encodeURIComponent(model)}`);
  return res.json();
}

export const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
export const norm = (a: number[]) => Math.sqrt(dot(a, a));

/** The smallest valid configuration, plus the model settings under test. */
export const configWith = (settings: Record<string, string>): Config =>
  parseConfig({ DATABASE_URL: "postgres://u@127.0.0.1/db", JWT_SECRET: "x".repeat(32), ...settings } as unknown as Env);

/** The AppError a call rejects with (the test fails if it resolves or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}
