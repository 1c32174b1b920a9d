import { z } from "zod";
import { identifierKindEnum } from "../../db/schema/enums";
import { dateInput, httpUrl, jsonObject, numberInput } from "../shared/schemas";

export const IdentifierInput = z.object({
  kind: z.enum(identifierKindEnum.enumValues),
  value: z.string().trim().min(1).max(200),
});

const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9 ()./-]{6,24}$/, "must be a phone number (digits, optionally with + and separators)");

export const ContactCreateInput = z.object({
  name: z.string().trim().min(1).max(200).nullish(),
  phone: phone.nullish(),
  email: z.email().max(320).nullish(),
  customFields: jsonObject().default({}),
  assignedAgentId: z.uuid().nullish(),
  source: z.string().max(100).nullish(),
  language: z.string().max(20).nullish(),
  profilePictureUrl: httpUrl(2000).nullish(),
  identifiers: z.array(IdentifierInput).max(20).default([]),
});
export type ContactCreateInput = z.infer<typeof ContactCreateInput>;

/** The changeable fields of a contact; the update verb adds the id and the "at least one field" rule. */
export const ContactFields = ContactCreateInput.omit({ identifiers: true, customFields: true })
  .extend({
    /** Merged into the existing custom fields; a key set to null is removed. */
    customFields: jsonObject().optional(),
  })
  .partial();
export type ContactUpdateInput = z.infer<typeof ContactFields>;

export const ContactListQuery = z.object({
  q: z.string().trim().min(1).max(200).optional(),
  tagId: z.uuid().optional(),
  listId: z.uuid().optional(),
  stageId: z.uuid().optional(),
  assignedAgentId: z.uuid().optional(),
  createdAfter: dateInput().optional(),
  createdBefore: dateInput().optional(),
  sort: z.enum(["createdAt", "updatedAt", "name", "lastInteractionAt"]).default("createdAt"),
  order: z.enum(["asc", "desc"]).default("desc"),
  limit: numberInput(z.number().int().min(1).max(100)).default(25),
  cursor: z.string().max(500).optional(),
});
export type ContactListQuery = z.infer<typeof ContactListQuery>;

/** Digits only: the form phone identifiers are stored and matched in (WhatsApp ids carry the same digits). */
export const normalizePhone = (value: string) => value.replace(/\D/g, "");
