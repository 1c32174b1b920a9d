import { eq } from "drizzle-orm";
import { schema } from "../db";
import { parseConfig } from "../env";
import { invitationToken } from "../services/members/invitations";
import type { TopicHandler } from "./consumer";

/**
 * `invitation.created`: the token goes to the invited address. This deployment has no mail provider yet, so the
 * delivery is the seam where one plugs in: in development the accept links are logged (the developer is the
 * mailbox); elsewhere a warning says the invitation was not sent — never the token.
 */
export const deliverInvitation: TopicHandler = async (message, c) => {
  const invitationId = message.payload.invitationId;
  if (typeof invitationId !== "string") return;
  const [row] = await c.db.query
    .select({ email: schema.invitations.email, acceptedAt: schema.invitations.acceptedAt })
    .from(schema.invitations)
    .where(eq(schema.invitations.id, invitationId));
  if (!row || row.acceptedAt) return;
  const config = parseConfig(c.env);
  if (config.ENVIRONMENT !== "development") {
    c.log.warn("invitation not e-mailed: no mail provider is configured", { invitationId });
    return;
  }
  const token = await invitationToken(config.JWT_SECRET, invitationId);
  const base = config.PUBLIC_BASE_URL ?? "";
  c.log.info("invitation (development: no mail provider, the links are logged)", {
    to: row.email,
    acceptLoggedIn: `${base}/api/v1/invitations/${token}/accept`,
    acceptNewAccount: `${base}/api/v1/auth/invitations/${token}/accept`,
  });
};
