import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { CLOSE_ACCESS_REVOKED, CLOSE_CREDENTIAL_EXPIRED, REVALIDATE_MS } from "../../src/realtime/event-stream";
import { issueAccessToken } from "../../src/services/auth/tokens";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { addMemberByInvitation } from "../support/invitations";
import { inboundText, postWaha } from "../support/waha";

/**
 * A live socket must not outlive its credential. Nothing here waits for time to pass: expiry is driven by moving a
 * socket's recorded expiry (or its last validation) into the past — what the clock would do — and then making the
 * stream send, which is when it checks; revocations arrive as the events the API writes.
 */
const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

async function connect(path: string) {
  const res = await exports.default.fetch(`http://crm.test${path}`, { headers: { Upgrade: "websocket" } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  ws.accept();
  const frames: any[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.addEventListener("message", (e) => {
    if (String(e.data).startsWith("{")) frames.push(JSON.parse(String(e.data)));
  });
  ws.addEventListener("close", (e) => {
    closed = { code: e.code, reason: e.reason };
  });
  return {
    ws,
    frames,
    closed: () => closed,
    /** Resolves once the server closed the socket (the queue delivers revocations asynchronously). */
    waitClosed: async () => {
      await expect.poll(() => closed, { timeout: 15_000, interval: 50 }).toBeDefined();
      return closed!;
    },
    hello: () => expect.poll(() => frames.some((f) => f.type === "hello"), { timeout: 5_000 }).toBe(true),
  };
}

const feedOf = (projectId: string) => env.PROJECT_FEED.get(env.PROJECT_FEED.idFromName(projectId));

/** Rewrites the attachment of every socket of a stream, as time passing would change what it is compared with. */
const age = (stub: DurableObjectStub, change: (a: any) => any) =>
  runInDurableObject(stub, async (_instance, state) => {
    for (const ws of state.getWebSockets()) ws.serializeAttachment(change(ws.deserializeAttachment()));
  });

const events = (frames: any[]) => frames.filter((f) => f.type === "event");

describe("live connections end with their credential", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });

  it("an access token's expiry closes its socket (4401) at the next send, which it does not receive", async () => {
    const jwt = await issueAccessToken(env.JWT_SECRET, {
      userId: t.user.id,
      tenantId: t.tenant.id,
      projectId: t.project.id,
      role: "admin",
    });
    const exp = JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).exp as number;
    const feed = await connect(`/api/v1/realtime?access_token=${jwt}`);
    await feed.hello();
    const stub = feedOf(t.project.id);
    // The stream knows until when the token is valid: its exp.
    const attachments = await runInDurableObject(stub, async (_i, state) => state.getWebSockets().map((ws) => ws.deserializeAttachment()));
    expect(attachments).toContainEqual(expect.objectContaining({ actor: { type: "user", id: t.user.id }, expiresAt: exp * 1000 }));
    // Still valid: an event is delivered.
    await stub.publish("contact.updated", { contactId: "before-expiry" });
    await expect.poll(() => events(feed.frames).length).toBe(1);
    // The token's exp passes; the next send closes the socket instead of delivering.
    await age(stub, (a) => (a?.actor?.id === t.user.id ? { ...a, expiresAt: Date.now() - 1 } : a));
    await stub.publish("contact.updated", { contactId: "after-expiry" });
    expect((await feed.waitClosed()).code).toBe(CLOSE_CREDENTIAL_EXPIRED);
    expect(events(feed.frames).map((e) => e.payload.contactId)).toEqual(["before-expiry"]);
  });

  it("revoking an API key closes its sockets (4403) — in the project feed and in session rooms", async () => {
    const key = await t.apiKey("readonly");
    const channel = await t.channel();
    const first = await postWaha(channel, "message", inboundText(`55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`, "oi"));
    const feed = await connect(`/api/v1/realtime?access_token=${key.key}`);
    const room = await connect(`/api/v1/sessions/${first.body.sessionId}/realtime?access_token=${key.key}`);
    const bystander = await connect(`/api/v1/realtime?access_token=${t.keys.readonly}`);
    await Promise.all([feed.hello(), room.hello(), bystander.hello()]);
    const revoked = await api(`/api/v1/api-keys/${key.id}`, { token: t.keys.admin, method: "DELETE" });
    expect(revoked.body.revokedAt).toBeTruthy();
    // The api_key.revoked event reaches the streams through the queue.
    expect((await feed.waitClosed()).code).toBe(CLOSE_ACCESS_REVOKED);
    expect((await room.waitClosed()).code).toBe(CLOSE_ACCESS_REVOKED);
    // Other credentials keep streaming.
    await feedOf(t.project.id).publish("contact.updated", { contactId: "still-live" });
    await expect.poll(() => events(bystander.frames).some((e) => e.payload.contactId === "still-live")).toBe(true);
    expect(bystander.closed()).toBeUndefined();
    bystander.ws.close();
  });

  it("removing a member closes the sockets of their still-valid access token (4403)", async () => {
    const member = await addMemberByInvitation(t.keys.admin, { email: `live-${crypto.randomUUID()}@example.test`, role: "user" });
    const feed = await connect(`/api/v1/realtime?access_token=${member.login.accessToken}`);
    await feed.hello();
    expect((await api(`/api/v1/members/${member.id}`, { token: t.keys.admin, method: "DELETE" })).status).toBe(204);
    expect((await feed.waitClosed()).code).toBe(CLOSE_ACCESS_REVOKED);
  });

  it("a revocation whose event never arrived is caught before the next send once the socket is due for re-validation", async () => {
    const key = await t.apiKey("user");
    const feed = await connect(`/api/v1/realtime?access_token=${key.key}`);
    await feed.hello();
    const stub = feedOf(t.project.id);
    // Revoked behind the API's back: no event, nothing tells the stream.
    await db.query.execute(sql`update api_keys set revoked_at = now() where id = ${key.id}`);
    // Re-validated recently: the stream trusts its last verdict (no database call per send)...
    await stub.publish("contact.updated", { contactId: "within-interval" });
    await expect.poll(() => events(feed.frames).length).toBe(1);
    // ...until the interval has passed; then the next send checks, and closes instead of delivering.
    await age(stub, (a) => (a?.actor?.id === key.id ? { ...a, validatedAt: Date.now() - REVALIDATE_MS - 1 } : a));
    await stub.publish("contact.updated", { contactId: "after-interval" });
    expect((await feed.waitClosed()).code).toBe(CLOSE_ACCESS_REVOKED);
    expect(events(feed.frames).map((e) => e.payload.contactId)).toEqual(["within-interval"]);
  });

  it("the stream's record of who is connected cannot be forged through the upgrade's headers", async () => {
    const res = await exports.default.fetch(`http://crm.test/api/v1/realtime?access_token=${t.keys.readonly}`, {
      headers: { Upgrade: "websocket", "x-ventros-credential-expires": String(Date.now() + 10 ** 12), "x-ventros-actor": "someone-else" },
    });
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    const attachments = await runInDurableObject(feedOf(t.project.id), async (_i, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment()),
    );
    expect(attachments.some((a: any) => a?.actor?.id === "someone-else")).toBe(false);
    expect(attachments.some((a: any) => a?.expiresAt > Date.now() + 10 ** 11)).toBe(false);
    res.webSocket!.close();
  });
});
