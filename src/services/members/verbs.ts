import { z } from "zod";
import { Role } from "../auth/principal";
import { nothing, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { listMembers, MemberUpdateInput, removeMember, updateMember } from "./index";
import { acceptInvitation, InvitationToken, InviteInput, inviteMember } from "./invitations";

const Member = z
  .object({
    id: z.string(),
    role: Role,
    createdAt: timestamp,
    user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
  })
  .meta({ id: "Member" });

const memberId = z.uuid().describe("The membership id");

export const listMembersVerb = defineVerb({
  name: "members.list",
  summary: "Members of the project and their roles",
  permission: "members:read",
  input: z.object({}),
  output: z.object({ data: z.array(Member) }).meta({ id: "MemberList" }),
  emits: [],
  run: async (ctx) => ({ data: await listMembers(ctx) }),
});

const Invitation = z
  .object({
    id: z.string().describe("The invitation id"),
    email: z.string(),
    role: Role,
    status: z.literal("pending"),
    expiresAt: timestamp,
  })
  .meta({ id: "Invitation" });

export const inviteMemberVerb = defineVerb({
  name: "members.invite",
  summary:
    "Invite someone by e-mail to join the project with a role. The answer is the same whether or not the address has " +
    "an account; the invitee accepts with the token delivered to that address",
  permission: "members:manage",
  input: InviteInput,
  output: Invitation,
  emits: ["invitation.created"],
  run: inviteMember,
});

const AcceptedInvitation = z
  .object({
    memberId: z.string(),
    tenantId: z.string(),
    projectId: z.string().describe("Log in with this projectId to work in the project"),
    role: Role,
  })
  .meta({ id: "AcceptedInvitation" });

export const acceptInvitationVerb = defineVerb({
  name: "invitations.accept",
  summary:
    "Accept an invitation as the logged-in user it was sent to (becomes a member of its project). " +
    "Without an account yet: POST /api/v1/auth/invitations/{token}/accept",
  // Any signed-in user may accept what was addressed to them; the service checks the address, not a role.
  permission: "crm:read",
  input: z.object({ token: InvitationToken }),
  output: AcceptedInvitation,
  emits: ["member.added", "invitation.accepted"],
  run: (ctx, { token }) => acceptInvitation(ctx, token),
});

export const updateMemberVerb = defineVerb({
  name: "members.update",
  summary: "Change a member's role (the project's last admin cannot be demoted)",
  permission: "members:manage",
  input: MemberUpdateInput.extend({ memberId }),
  output: Member,
  emits: ["member.role_changed"],
  run: (ctx, { memberId, ...input }) => updateMember(ctx, memberId, input),
});

export const removeMemberVerb = defineVerb({
  name: "members.remove",
  summary: "Remove a member and revoke their refresh tokens (the project's last admin cannot be removed)",
  permission: "members:manage",
  input: z.object({ memberId }),
  output: nothing,
  emits: ["member.removed"],
  run: (ctx, { memberId }) => removeMember(ctx, memberId),
});
