import type { ServiceContext } from "../../src/services/context";
import { observeFacts } from "../../src/services/memory/knowledge/facts";

/**
 * What the knowledge handler would record for "prefiro PIX" said by a contact: one current fact, observed in
 * `sourceId`. The fixture the MCP, contract and security tables share.
 */
export async function observePixPreference(ctx: ServiceContext, contactId: string, sourceId: string) {
  const [stored] = await observeFacts(
    ctx,
    contactId,
    [
      {
        factType: "preference",
        factKey: "preference.payment.method",
        factValue: "pix",
        factText: "prefiro PIX",
        confidence: 0.8,
        start: 0,
        end: 11,
      },
    ],
    { sourceId, observedAt: new Date(), extractor: "test" },
  );
  return stored!;
}
