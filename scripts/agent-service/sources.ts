/**
 * What the chain found in the CRM, in the shape the composers cite: a document passage with its title and page, or
 * a remembered message. Search hits arrive snake_cased from the MCP tools (search_documents, search_memory).
 */
export interface Source {
  kind: "document" | "message";
  content: string;
  documentId?: string;
  title?: string;
  page?: number;
}

export interface Citation {
  document_id: string;
  title: string;
  page: number | null;
}

export function documentSources(result: any): Source[] {
  const hits: any[] = Array.isArray(result?.documents) ? result.documents : [];
  return hits.filter((h) => typeof h?.content === "string").map(documentSource);
}

export function memorySources(result: any): Source[] {
  const hits: any[] = Array.isArray(result?.embeddings?.results) ? result.embeddings.results : [];
  return hits
    .filter((h) => typeof h?.content === "string")
    .map((h) => (h.document_id ? documentSource(h) : { kind: "message" as const, content: h.content }));
}

const documentSource = (h: any): Source => ({
  kind: "document",
  content: h.content,
  documentId: h.document_id,
  title: typeof h.document_title === "string" && h.document_title ? h.document_title : "documento sem título",
  page: typeof h.page_number === "number" ? h.page_number : undefined,
});

/** Document passages from both searches, first seen first, each passage once. */
export function mergeSources(...lists: Source[][]): Source[] {
  const seen = new Set<string>();
  return lists.flat().filter((s) => {
    const key = `${s.documentId ?? ""}:${s.page ?? ""}:${s.content}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const citationOf = (s: Source): Citation => ({ document_id: s.documentId ?? "", title: s.title ?? "", page: s.page ?? null });

/** "(Contrato Padaria São João, p. 1)" */
export const citeLabel = (s: Source) => `(${s.title}${s.page ? `, p. ${s.page}` : ""})`;
