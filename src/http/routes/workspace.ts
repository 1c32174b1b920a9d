import { createApiKeyVerb, listApiKeysVerb, revokeApiKeyVerb } from "../../services/api-keys/verbs";
import { acceptInvitationVerb, inviteMemberVerb, listMembersVerb, removeMemberVerb, updateMemberVerb } from "../../services/members/verbs";
import { createProjectVerb, getCurrentProjectVerb, listProjectsVerb, updateCurrentProjectVerb } from "../../services/projects/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const projects = ["Projects"];
const members = ["Members"];
const keys = ["API keys"];

export const workspaceRoutes = createRouter()
  .openapi(...verbRoute(listProjectsVerb, { method: "get", path: "/projects", tags: projects }))
  .openapi(...verbRoute(createProjectVerb, { method: "post", path: "/projects", status: 201, tags: projects, errors: [409] }))
  .openapi(...verbRoute(getCurrentProjectVerb, { method: "get", path: "/projects/current", tags: projects }))
  .openapi(...verbRoute(updateCurrentProjectVerb, { method: "patch", path: "/projects/current", tags: projects }))
  .openapi(...verbRoute(listMembersVerb, { method: "get", path: "/members", tags: members }))
  .openapi(...verbRoute(inviteMemberVerb, { method: "post", path: "/members", status: 202, tags: members, errors: [409] }))
  .openapi(...verbRoute(acceptInvitationVerb, { method: "post", path: "/invitations/{token}/accept", tags: members, optionalBody: true }))
  .openapi(...verbRoute(updateMemberVerb, { method: "patch", path: "/members/{memberId}", tags: members, errors: [409] }))
  .openapi(...verbRoute(removeMemberVerb, { method: "delete", path: "/members/{memberId}", status: 204, tags: members, errors: [409] }))
  .openapi(...verbRoute(listApiKeysVerb, { method: "get", path: "/api-keys", tags: keys }))
  .openapi(...verbRoute(createApiKeyVerb, { method: "post", path: "/api-keys", status: 201, tags: keys }))
  .openapi(...verbRoute(revokeApiKeyVerb, { method: "delete", path: "/api-keys/{apiKeyId}", tags: keys }));
