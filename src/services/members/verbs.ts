import { z } from "zod";
import { nothing, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { addMember, listMembers, MemberInput, MemberRole, MemberUpdateInput, removeMember, updateMember } from "./index";

const Member = z
  .object({
    id: z.string(),
    role: MemberRole,
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

export const addMemberVerb = defineVerb({
  name: "members.add",
  summary: "Add a member (creates the account if the email is new)",
  permission: "members:manage",
  input: MemberInput,
  output: Member,
  emits: ["member.added"],
  run: addMember,
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
