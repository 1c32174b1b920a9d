import { env } from "cloudflare:workers";
import { invitationToken } from "../../src/services/members/invitations";
import { api } from "./api";

/** What the mailer delivers to the invited address: the token of an invitation. */
export const tokenFor = (invitationId: string) => invitationToken(env.JWT_SECRET, invitationId);

/**
 * Adds a member the way people join a project: the admin invites the address (202), and its owner creates the
 * account from the delivered token. Answers the membership as the member list shows it, and the invitee's login.
 */
export async function addMemberByInvitation(
  adminToken: string,
  input: { email: string; role: string; name?: string; password?: string },
): Promise<{ id: string; role: string; user: { id: string; email: string; name: string }; login: any }> {
  const invited = await api("/api/v1/members", { token: adminToken, body: { email: input.email, role: input.role } });
  if (invited.status !== 202) throw new Error(`invite: ${invited.status} ${JSON.stringify(invited.body)}`);
  const accepted = await api(`/api/v1/auth/invitations/${await tokenFor(invited.body.id)}/accept`, {
    body: { name: input.name ?? "Member", password: input.password ?? "a-long-password" },
  });
  if (accepted.status !== 201) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const members = (await api("/api/v1/members", { token: adminToken })).body.data as any[];
  const member = members.find((m) => m.user.email === input.email.toLowerCase());
  if (!member) throw new Error(`${input.email} is not listed as a member`);
  return { ...member, login: accepted.body };
}
