/**
 * Finding or opening a contact's conversation on a channel is one SQL rule, `ventros_open_session`
 * (drizzle/0021_outbound_queue_function.sql), shared by inbound ingestion and outbound sends. The timeout a new
 * session gets when the project sets none:
 */
export const DEFAULT_SESSION_TIMEOUT_MINUTES = 30;
