import type { EmbedKind } from "./types";

/**
 * EmbeddingGemma was trained with task prompts and its model card asks for them: queries as
 * "task: search result | query: …", documents as "title: none | text: …" (or the title in place of "none").
 * Without them retrieval quality drops. Applied wherever the model runs — Workers AI
 * (`@cf/google/embeddinggemma-300m`) or an OpenAI-compatible server (Ollama's `embeddinggemma`) — since neither adds
 * them. Other models get the text as is.
 */
export function withTaskPrompt(model: string, kind: EmbedKind, text: string): string {
  if (!/embeddinggemma/i.test(model)) return text;
  return kind === "query" ? `task: search result | query: ${text}` : `title: none | text: ${text}`;
}
