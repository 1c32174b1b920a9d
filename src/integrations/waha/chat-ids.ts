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

/**
 * The identifiers a chat id stands for, most specific first. Phone numbers are stored as digits. A chat id whose
 * user part is empty or not a number (`@c.us`, `abc@c.us`, ` @lid`) stands for nobody: it yields no identifier,
 * because a value shared by every such id (`""`, `@c.us`) would merge unrelated senders into one contact.
 */
export function identifiersFor(chatId: string): Identifier[] {
  const id = normalizeChatId(chatId);
  if (id.endsWith("@c.us")) {
    // `5511999999999@c.us`, also `+55…` or with a device suffix (`5511…:12@c.us`).
    const user = /^\+?(\d{1,20})(?::\d+)?@c\.us$/.exec(id)?.[1];
    if (!user) return [];
    return [
      { kind: "wa_c_us", value: `${user}@c.us` },
      { kind: "phone", value: user },
    ];
  }
  if (/^[^\s@:]+(?::\d+)?@lid$/.test(id)) return [{ kind: "wa_lid", value: id }];
  if (/^[^\s@]+@g\.us$/.test(id)) return [{ kind: "wa_group", value: id }];
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
