import { sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { projectSettings } from "../projects/settings";
import { findScoped } from "../shared/crud";
import { numberInput } from "../shared/schemas";

export const MessageGroupsInput = z.object({
  sessionId: z.uuid(),
  windowSeconds: numberInput(z.number().int().min(5).max(3600)).optional(),
});
export const MessageGroupInput = z.object({
  groupId: z.uuid().describe("The id of the group's first message, as returned by list_message_groups"),
  windowSeconds: numberInput(z.number().int().min(5).max(3600)).optional(),
});

interface GroupedMessage {
  id: string;
  body: string | null;
  contentType: string;
  sentAt: string;
  media: {
    url: string | null;
    mimetype: string | null;
    filename: string | null;
    pending: boolean;
    /** pending | stored | unavailable | too_large | failed (services/media). */
    status: string;
    bytes: number | null;
  } | null;
  /** Transcripts, image descriptions… when an enrichment has been stored on the message. */
  enrichment: unknown;
}

export interface MessageGroup {
  groupId: string;
  sessionId: string;
  contactId: string;
  startedAt: string;
  endedAt: string;
  messageCount: number;
  contentTypes: string[];
  text: string;
  messages: GroupedMessage[];
}

/**
 * Consecutive inbound messages of a session, each within `window` of the previous one and with no reply in between,
 * form one group — what a customer "said" in one go (text split over several bubbles, a photo plus a caption, a
 * voice note). Computed in SQL (gaps and islands): a group starts at an inbound message whose predecessor is
 * outbound or older than the window.
 */
async function groupsOf(ctx: ServiceContext, sessionId: string, windowSeconds: number): Promise<MessageGroup[]> {
  const { rows } = await ctx.db.query.execute<Record<string, any>>(sql`
    with ordered as (
      select m.*, coalesce(m.sent_at, m.created_at) as at,
             lag(m.direction) over w as prev_direction,
             lag(coalesce(m.sent_at, m.created_at)) over w as prev_at
      from messages m
      where m.session_id = ${sessionId} and m.tenant_id = ${ctx.principal.tenantId} and m.project_id = ${ctx.principal.projectId}
      window w as (order by coalesce(m.sent_at, m.created_at), m.id)
    ), marked as (
      select *, case when prev_direction is distinct from 'inbound' or at - prev_at > make_interval(secs => ${windowSeconds})
        then 1 else 0 end as starts
      from ordered where direction = 'inbound'
    ), numbered as (
      select *, sum(starts) over (order by at, id) as grp from marked
    )
    select first_value(n.id) over g as group_id, n.id, n.session_id, n.contact_id, n.body, n.content_type::text as content_type, n.at,
           n.media_url, n.media_mimetype, n.media_filename, n.metadata,
           mm.status::text as media_status, coalesce(mm.mime_type, mm.declared_mime_type) as media_type, mm.filename as media_name,
           mm.bytes as media_bytes
    from numbered n
    left join message_media mm on mm.message_id = n.id and mm.project_id = n.project_id
    window g as (partition by n.grp order by n.at, n.id)
    order by n.at, n.id`);
  const groups = new Map<string, MessageGroup>();
  for (const r of rows) {
    const at = new Date(r.at).toISOString();
    let g = groups.get(r.group_id);
    if (!g) {
      g = {
        groupId: r.group_id,
        sessionId: r.session_id,
        contactId: r.contact_id,
        startedAt: at,
        endedAt: at,
        messageCount: 0,
        contentTypes: [],
        text: "",
        messages: [],
      };
      groups.set(r.group_id, g);
    }
    const hasMedia = r.media_status || r.media_url || r.media_mimetype || r.metadata?.mediaPending;
    // The stored copy (services/media) when there is one: our URL, never WAHA's (it needs WAHA's key and expires).
    const media = r.media_status
      ? {
          url: r.media_status === "stored" ? `/api/v1/messages/${r.id}/media` : null,
          mimetype: r.media_type ?? r.media_mimetype,
          filename: r.media_name ?? r.media_filename,
          pending: r.media_status === "pending",
          status: r.media_status,
          bytes: r.media_bytes ?? null,
        }
      : { url: null, mimetype: r.media_mimetype, filename: r.media_filename, pending: true, status: "pending", bytes: null };
    g.messages.push({
      id: r.id,
      body: r.body,
      contentType: r.content_type,
      sentAt: at,
      media: hasMedia ? media : null,
      enrichment: r.metadata?.enrichment ?? null,
    });
    g.endedAt = at;
    g.messageCount++;
    if (!g.contentTypes.includes(r.content_type)) g.contentTypes.push(r.content_type);
    const e = r.metadata?.enrichment;
    const read = e?.transcript || (e?.description ? [e.description, e.visibleText].filter(Boolean).join("\n") : null);
    const piece = [r.body, read].filter(Boolean).join("\n");
    if (piece) g.text = g.text ? `${g.text}\n${piece}` : piece;
  }
  return [...groups.values()];
}

export async function listMessageGroups(ctx: ServiceContext, input: z.infer<typeof MessageGroupsInput>) {
  await findScoped(ctx, schema.sessions, input.sessionId, "Session");
  const window = input.windowSeconds ?? (await projectSettings(ctx)).messageGroupWindowSeconds;
  const groups = await groupsOf(ctx, input.sessionId, window);
  return {
    sessionId: input.sessionId,
    windowSeconds: window,
    groups: groups.map(({ messages: _m, ...g }) => ({ ...g, messageIds: _m.map((m) => m.id) })),
  };
}

export async function getMessageGroup(ctx: ServiceContext, input: z.infer<typeof MessageGroupInput>) {
  const first = await findScoped(ctx, schema.messages, input.groupId, "Message group");
  const window = input.windowSeconds ?? (await projectSettings(ctx)).messageGroupWindowSeconds;
  const group = (await groupsOf(ctx, first.sessionId, window)).find((g) => g.groupId === input.groupId);
  if (!group)
    throw new AppError("not_found", `No message group starts at message ${input.groupId}`, {
      resource: "Message group",
      id: input.groupId,
    });
  return group;
}
