/**
 * Entity and fact extraction for the memory service: pure functions of a text, no database. The caller (queue
 * consumers on document.ready and message.created) stores entities, edges and facts with their source ids.
 */
export { checkExtractionSettings, type ExtractionSettings, extractionSettings, extractorFor } from "./config";
export { FACT_KEY_NAMES, FACT_KEYS, type FactKey, factTypeOf, normaliseFactValue } from "./fact-keys";
export { DEFAULT_OPENAI_EXTRACTION_MODEL, DEFAULT_WORKERS_AI_EXTRACTION_MODEL, OpenAiExtractor, WorkersAiExtractor } from "./llm";
export { extractWithRules, RULES_EXTRACTOR_ID, RulesExtractor } from "./rules";
export { nameKey } from "./text";
export * from "./types";
