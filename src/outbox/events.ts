/** Domain event topics published through the outbox. Consumers dispatch on these names. */
export type Topic =
  | "contact.created"
  | "contact.updated"
  | "contact.deleted"
  | "contact.assigned"
  | "contact.identifier_added"
  | "contact.identifier_removed"
  | "lead.qualified"
  | "note.created"
  | "note.updated"
  | "note.deleted"
  | "tag.created"
  | "tag.updated"
  | "tag.deleted"
  | "tag.added"
  | "tag.removed"
  | "list.created"
  | "list.updated"
  | "list.deleted"
  | "list.member_added"
  | "list.member_removed"
  | "pipeline.created"
  | "pipeline.updated"
  | "pipeline.deleted"
  | "pipeline.stage_changed"
  | "stage.created"
  | "stage.updated"
  | "stage.deleted"
  | "stages.reordered"
  | "session.created"
  | "session.ended"
  | "message.created"
  | "message.queued"
  | "message.sent"
  | "message.delivered"
  | "message.read"
  | "message.failed"
  | "message.edited"
  | "message.revoked"
  | "message.reaction"
  | "channel.created"
  | "channel.updated"
  | "channel.status_changed"
  | "channel.deleted"
  | "channel.secret_rotated"
  | "dead_letter.replayed"
  | "agent.created"
  | "agent.updated"
  | "agent.deleted"
  | "agent.response_generated"
  | "project.created"
  | "project.updated"
  | "member.added"
  | "member.role_changed"
  | "member.removed"
  | "api_key.created"
  | "api_key.revoked"
  | "billing.updated";

/** What travels on the queue: the outbox row, so consumers can dedupe on `id`. */
export interface OutboxMessage {
  id: string;
  topic: Topic;
  tenantId: string | null;
  projectId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}
