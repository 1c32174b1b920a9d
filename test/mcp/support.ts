import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { inboundText, postWaha } from "../support/waha";

export const db = testDatabase();
export type World = Awaited<ReturnType<typeof arrangeWorld>>;

/** A tenant with one of everything the tools read and act on, created through the real API and webhooks. */
export async function arrangeWorld() {
  const t = await createActors(db);
  const token = t.keys.admin;
  const post = async (path: string, body: unknown) => {
    const res = await api(path, { token, body });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const channel = await t.channel();
  const phone = `55119${Math.floor(1e7 + Math.random() * 8e7)}`;
  const contact = await post("/api/v1/contacts", { name: "Mariana Lima", phone: `+${phone}`, email: "mariana@example.test" });
  const other = await post("/api/v1/contacts", { name: "Outro Cliente" });
  const tag = await post("/api/v1/tags", { name: "VIP" });
  const list = await post("/api/v1/contact-lists", { name: "Campanha" });
  const pipeline = await post("/api/v1/pipelines", { name: "Vendas", stages: [{ name: "Novo" }, { name: "Qualificado" }, { name: "Ganho", kind: "won" }] });
  const agent = await post("/api/v1/agents", { kind: "ai", name: "Atendente IA" });
  const human = await post("/api/v1/agents", { kind: "human", name: "Carla", userId: t.user.id });
  // A conversation: three customer messages in one burst, then a reply, then one more message.
  const chat = `${phone}@c.us`;
  const now = Math.floor(Date.now() / 1000) - 600;
  const first = await postWaha(channel, "message", inboundText(chat, "Oi", { timestamp: now }));
  await postWaha(channel, "message", inboundText(chat, "queria saber o preço", { timestamp: now + 5 }));
  await postWaha(channel, "message", inboundText(chat, "", { timestamp: now + 9, hasMedia: true, media: { url: "http://waha.local/files/p.jpg", mimetype: "image/jpeg" } }));
  const reply = await post("/api/v1/messages", { contactId: contact.id, channelId: channel.id, text: "Olá! Custa R$ 99.", agentId: agent.id });
  await postWaha(channel, "message", inboundText(chat, "fechado", { timestamp: Math.floor(Date.now() / 1000) + 5 }));
  await post(`/api/v1/contacts/${contact.id}/tags`, { tagId: tag.id });
  await post(`/api/v1/contact-lists/${list.id}/members`, { contactIds: [contact.id] });
  await api(`/api/v1/contacts/${contact.id}/stage`, { token, method: "PUT", body: { stageId: pipeline.stages[0].id } });
  return { t, channel, contact, other, tag, list, pipeline, agent, human, sessionId: first.body.sessionId as string, firstMessageId: first.body.messageId as string, reply };
}
