import { inject } from "vitest";

export const wahaUrl = () => inject("wahaUrl");

/** Configures a session on the WAHA sandbox (engine, API key, simulated failures, next id). */
export async function configureSandbox(session: Record<string, unknown> & { name: string }) {
  const res = await fetch(`${wahaUrl()}/__sandbox/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(session),
  });
  if (!res.ok) throw new Error(`sandbox configure failed: ${res.status}`);
  await res.body?.cancel();
}

export async function sentTo(session: string): Promise<{ endpoint: string; chatId: string; body: any; messageId: string }[]> {
  const res = await fetch(`${wahaUrl()}/__sandbox/sent?session=${encodeURIComponent(session)}`);
  return res.json();
}
