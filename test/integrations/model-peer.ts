import { inject } from "vitest";

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
