import type { AgentExecutionRequest } from "../../src/gen/ventros/agent/agent_pb";
import { type Citation, citationOf, citeLabel, type Source } from "./sources";
import { contentWords, sentences } from "./words";

/** What the ResponseGenerator step knows when it writes the reply. */
export interface ComposeInput {
  request: AgentExecutionRequest;
  contactName?: string;
  /** The conversation so far, oldest first. */
  history: { direction: string; body: string }[];
  /** Document passages the chain found, best first. */
  sources: Source[];
  /** False when the execution had no MCP access or every tool call failed. */
  crmReachable: boolean;
}

export interface Composition {
  text: string;
  citations: Citation[];
  model: string;
  tokens: number;
  costUsd: number;
}

export interface Composer {
  /** Reported as the response's metadata["model"] and the started event's model. */
  readonly model: string;
  /** Writes the reply, handing each piece to onDelta as it is produced. */
  compose(input: ComposeInput, onDelta: (delta: string) => void, signal: AbortSignal): Promise<Composition>;
}

export const DETERMINISTIC_MODEL = "ventros/reference-deterministic-v1";

/**
 * The reply without a language model: the sentences of the found passages that share the most words with the
 * question (only those tied for the best match, so a heading that shares one word is not quoted), each cited, or a
 * plain statement that nothing was found. It never says what no tool returned.
 */
export const deterministicComposer: Composer = {
  model: DETERMINISTIC_MODEL,
  async compose(input, onDelta) {
    const quotes = bestSentences(input.request.inputText, input.sources, 2);
    const parts = [input.contactName ? `Olá, ${input.contactName.split(/\s+/)[0]}!` : "Olá!"];
    if (!input.crmReachable) {
      parts.push("Não consegui consultar nossos registros agora; um atendente vai continuar o atendimento com você.");
    } else if (quotes.length) {
      parts.push("Encontrei isto nos nossos documentos:", ...quotes.map((q) => `«${q.sentence}» ${citeLabel(q.source)}`));
    } else if (contentWords(input.request.inputText).length === 0) {
      parts.push("Como posso ajudar?");
    } else {
      parts.push("Ainda não encontrei essa informação nos nossos documentos. Vou confirmar com a equipe e já te retorno.");
    }
    for (const [i, part] of parts.entries()) onDelta(i === 0 ? part : ` ${part}`);
    const cited = [...new Set(quotes.map((q) => q.source))];
    return { text: parts.join(" "), citations: cited.map(citationOf), model: DETERMINISTIC_MODEL, tokens: 0, costUsd: 0 };
  },
};

function bestSentences(question: string, sources: Source[], count: number) {
  const wanted = new Set(contentWords(question).map(stem));
  if (!wanted.size) return [];
  return sources
    .filter((s) => s.kind === "document")
    .flatMap((source, rank) =>
      sentences(source.content).map((sentence, position) => ({
        source,
        sentence,
        order: rank * 1000 + position,
        score: new Set(
          contentWords(sentence)
            .map(stem)
            .filter((w) => wanted.has(w)),
        ).size,
      })),
    )
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .filter((c, _, [best]) => c.score === best!.score)
    .slice(0, count);
}

// "contratos" and "contrato" are one word for picking a sentence.
const stem = (word: string) => word.slice(0, 6);
