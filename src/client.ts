/**
 * Types for Hono's typed client. One client per resource group keeps TypeScript fast (a single `hc<App>` over
 * ~70 routes exceeds the compiler's union limits):
 *
 *   import { hc } from "hono/client";
 *   import type { ContactsApi } from "ventros-crm/src/client";
 *   const contacts = hc<ContactsApi>(`${base}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } });
 */
import type { agentRoutes } from "./http/routes/agents";
import type { aiRoutes } from "./http/routes/ai";
import type { authRoutes } from "./http/routes/auth";
import type { channelRoutes } from "./http/routes/channels";
import type { contactRoutes } from "./http/routes/contacts";
import type { conversationRoutes } from "./http/routes/conversations";
import type { listRoutes } from "./http/routes/lists";
import type { noteRoutes } from "./http/routes/notes";
import type { pipelineRoutes } from "./http/routes/pipelines";
import type { tagRoutes } from "./http/routes/tags";
import type { workspaceRoutes } from "./http/routes/workspace";

/** Mounted at /api/v1/auth */
export type AuthApi = typeof authRoutes;
/** Mounted at /api/v1/contacts */
export type ContactsApi = typeof contactRoutes;
/** The following are mounted at /api/v1 */
export type TagsApi = typeof tagRoutes;
export type NotesApi = typeof noteRoutes;
export type ListsApi = typeof listRoutes;
export type AgentsApi = typeof agentRoutes;
export type AiApi = typeof aiRoutes;
export type PipelinesApi = typeof pipelineRoutes;
export type ChannelsApi = typeof channelRoutes;
export type ConversationsApi = typeof conversationRoutes;
export type WorkspaceApi = typeof workspaceRoutes;
