import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { schema } from "../../db";
import { keyset, toPage } from "../../lib/pagination";
import { loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { publicMedia } from "../media/service";
import { findScoped } from "../shared/crud";
import { inScope } from "../shared/scope";
import type { MessageListQuery } from "./schemas";

const m = schema.messages;

export async function listMessages(ctx: ServiceContext, q: z.infer<typeof MessageListQuery>) {
  if (q.sessionId) await findScoped(ctx, schema.sessions, q.sessionId, "Session");
  if (q.contactId) await loadContact(ctx, q.contactId);
  const page = keyset({ id: m.id, direction: q.order, cursor: q.cursor });
  const mm = schema.messageMedia;
  const rows = await ctx.db.query
    .select({ message: m, media: mm })
    .from(m)
    // The stored copy and what was read from it (services/media), when the message has a file.
    .leftJoin(mm, and(eq(mm.messageId, m.id), eq(mm.projectId, m.projectId)))
    .where(
      inScope(
        m,
        ctx.principal,
        q.sessionId ? eq(m.sessionId, q.sessionId) : undefined,
        q.contactId ? eq(m.contactId, q.contactId) : undefined,
        page.where,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const result = toPage(rows, q.limit, (r) => [r.message.id]);
  return {
    ...result,
    data: result.data.map((r) => ({
      ...r.message,
      // An inbound file is served from our copy: WAHA's link needs WAHA's key and dies with WAHA's file cleanup.
      mediaUrl: r.media && r.message.direction === "inbound" ? publicMedia(r.media)!.url : r.message.mediaUrl,
      media: publicMedia(r.media),
    })),
  };
}
