export type IdentifierKind = "phone" | "wa_c_us" | "wa_lid" | "wa_group" | "email";
export interface Identifier {
  kind: IdentifierKind;
  value: string;
}

/** `status@broadcast` carries status posts, not conversations. */
export const isBroadcast = (chatId: string) =>
  chatId === "status@broadcast" || chatId.endsWith("@broadcast") || chatId.endsWith("@newsletter");

/** `@s.whatsapp.net` appears inside engine data and means the same person as `@c.us`. */
export function normalizeChatId(chatId: string): string {
  return chatId.endsWith("@s.whatsapp.net") ? chatId.replace(/@s\.whatsapp\.net$/, "@c.us") : chatId;
}

/** The identifiers a chat id stands for, most specific first. Phone numbers are stored as digits. */
export function identifiersFor(chatId: string): Identifier[] {
  const id = normalizeChatId(chatId);
  if (id.endsWith("@c.us")) {
    const digits = id.slice(0, -"@c.us".length).split(":")[0]!.replace(/\D/g, "");
    return [
      { kind: "wa_c_us", value: `${digits}@c.us` },
      { kind: "phone", value: digits },
    ];
  }
  if (id.endsWith("@lid")) return [{ kind: "wa_lid", value: id }];
  if (id.endsWith("@g.us")) return [{ kind: "wa_group", value: id }];
  return [];
}

export const phoneOf = (chatId: string) => identifiersFor(chatId).find((i) => i.kind === "phone")?.value;

/** The chat id to send to for a contact, from its identifiers: a phone chat where known, else its privacy id or group. */
export function chatIdFor(identifiers: Identifier[], phone?: string | null): string | undefined {
  const pick = (kind: IdentifierKind) => identifiers.find((i) => i.kind === kind)?.value;
  return (
    pick("wa_c_us") ??
    (pick("phone") ? `${pick("phone")}@c.us` : undefined) ??
    (phone ? `${phone}@c.us` : undefined) ??
    pick("wa_lid") ??
    pick("wa_group")
  );
}
