import type { ComposeInput, Composer } from "./compose";
import { citationOf, citeLabel } from "./sources";

export interface LlmSettings {
  /** An OpenAI-compatible base URL (e.g. http://127.0.0.1:11434/v1 for Ollama) or its /chat/completions endpoint. */
  url: string;
  model: string;
  apiKey?: string;
}

/**
 * The reply from an OpenAI-compatible chat-completions model, streamed: each delta becomes a partial_text event.
 * The model sees only what the tools returned, and is told to cite it; the response's citations are the passages it
 * was given. Cost is reported as 0: the service does not know the model's price.
 */
export function llmComposer(llm: LlmSettings): Composer {
  const endpoint = llm.url.replace(/\/+$/, "").endsWith("/chat/completions") ? llm.url : `${llm.url.replace(/\/+$/, "")}/chat/completions`;
  return {
    model: llm.model,
    async compose(input, onDelta, signal) {
      const res = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", ...(llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {}) },
        body: JSON.stringify({
          model: llm.model,
          stream: true,
          stream_options: { include_usage: true },
          messages: prompt(input),
        }),
        signal,
      });
      if (!res.ok || !res.body) throw new LlmError(`the model answered HTTP ${res.status}`);
      let text = "";
      let tokens = 0;
      for await (const chunk of serverSentEvents(res.body)) {
        const delta = chunk?.choices?.[0]?.delta?.content;
        if (typeof delta === "string" && delta) {
          text += delta;
          onDelta(delta);
        }
        if (typeof chunk?.usage?.total_tokens === "number") tokens = chunk.usage.total_tokens;
      }
      if (!text.trim()) throw new LlmError("the model returned an empty reply");
      return { text, citations: input.sources.filter((s) => s.kind === "document").map(citationOf), model: llm.model, tokens, costUsd: 0 };
    },
  };
}

export class LlmError extends Error {}

function prompt(input: ComposeInput) {
  const documents = input.sources.filter((s) => s.kind === "document");
  const history = input.history.slice(-10).map((m) => `${m.direction === "inbound" ? "Cliente" : "Atendente"}: ${m.body}`);
  return [
    {
      role: "system",
      content:
        "You are the customer-service agent of a company, answering a customer on WhatsApp. Answer briefly, in the " +
        "customer's language. State only facts found in SOURCES and cite each one as it is labelled, e.g. (Title, p. 2). " +
        "If the sources do not answer the question, say you will check with the team. Never invent prices or terms.",
    },
    {
      role: "user",
      content: [
        input.crmReachable ? "" : "The CRM's records could not be read for this message: say so, and that a person will follow up.",
        input.contactName ? `Customer: ${input.contactName}` : "",
        history.length ? `Conversation so far:\n${history.join("\n")}` : "",
        `SOURCES:\n${documents.map((s) => `${citeLabel(s)} ${s.content}`).join("\n\n") || "(none found)"}`,
        `Customer's message: ${input.request.inputText}`,
      ]
        .filter(Boolean)
        .join("\n\n"),
    },
  ];
}

/** The JSON payloads of an SSE body (`data: {...}` lines), until `data: [DONE]`. */
async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<any> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") return;
      try {
        yield JSON.parse(data);
      } catch {
        // A keep-alive or a provider's non-JSON line: nothing to read from it.
      }
    }
  }
}
