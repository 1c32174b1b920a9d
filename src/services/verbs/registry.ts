import * as agents from "../agents/verbs";
import * as ai from "../ai/verbs";
import * as analytics from "../analytics/verbs";
import * as apiKeys from "../api-keys/verbs";
import * as channels from "../channels/verbs";
import * as contacts from "../contacts/verbs";
import * as deadLetters from "../dead-letters/verbs";
import * as leads from "../leads/verbs";
import * as lists from "../lists/verbs";
import * as media from "../media/verbs";
import * as members from "../members/verbs";
import * as knowledge from "../memory/knowledge/verbs";
import * as memory from "../memory/verbs";
import * as messageGroups from "../message-groups/verbs";
import * as messages from "../messages/verbs";
import * as notes from "../notes/verbs";
import * as pipelines from "../pipelines/verbs";
import * as projects from "../projects/verbs";
import * as sessions from "../sessions/verbs";
import * as tags from "../tags/verbs";
import * as timeline from "../timeline/verbs";
import type { AnyVerb } from "./define";

const modules = [
  agents,
  ai,
  analytics,
  apiKeys,
  channels,
  contacts,
  deadLetters,
  leads,
  lists,
  media,
  members,
  memory,
  knowledge,
  messageGroups,
  messages,
  notes,
  pipelines,
  projects,
  sessions,
  tags,
  timeline,
];

/** Every verb of the CRM, collected from the domains' `verbs.ts` modules (tests walk it; nothing is listed twice). */
export const verbs: AnyVerb[] = modules.flatMap((m) => Object.values(m).filter((v): v is AnyVerb => (v as AnyVerb)?.kind === "verb"));

export const verbsByName = new Map(verbs.map((v) => [v.name, v]));
