import { z } from "zod";
import { nothing, nullableTimestamp, page, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { assignToAgent } from "./assign";
import { createContact } from "./create";
import { deleteContact } from "./delete";
import { getContact } from "./get";
import { addIdentifier, removeIdentifier } from "./identifiers";
import { listContacts } from "./list";
import { ContactCreateInput, ContactFields, ContactListQuery, IdentifierInput } from "./schemas";
import { updateContact } from "./update";

export const Contact = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    customFields: z.record(z.string(), z.unknown()),
    assignedAgentId: z.string().nullable(),
    source: z.string().nullable(),
    language: z.string().nullable(),
    profilePictureUrl: z.string().nullable(),
    firstInteractionAt: nullableTimestamp,
    lastInteractionAt: nullableTimestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Contact" });

const Identifier = z.object({ id: z.string().optional(), kind: z.string(), value: z.string() }).meta({ id: "ContactIdentifier" });
const ContactDetail = Contact.extend({
  identifiers: z.array(Identifier),
  tags: z.array(z.object({ id: z.string(), name: z.string(), color: z.string().nullable() })),
  stages: z.array(z.object({ pipelineId: z.string(), stageId: z.string(), stageName: z.string(), enteredAt: timestamp })),
}).meta({ id: "ContactDetail" });

const contactId = z.uuid().describe("The contact id");

export const listContactsVerb = defineVerb({
  name: "contacts.list",
  summary: "List contacts (search by name, phone or email; filter by tag, list, stage, assigned agent, creation date)",
  permission: "crm:read",
  input: ContactListQuery,
  output: page(Contact, "ContactPage"),
  emits: [],
  run: listContacts,
});

export const createContactVerb = defineVerb({
  name: "contacts.create",
  summary: "Create a contact",
  permission: "contacts:write",
  input: ContactCreateInput,
  output: Contact.extend({ identifiers: z.array(Identifier) }),
  emits: ["contact.created"],
  run: createContact,
});

export const getContactVerb = defineVerb({
  name: "contacts.get",
  summary: "A contact with identifiers (phone, WhatsApp ids), tags, custom fields and pipeline stages",
  permission: "crm:read",
  input: z.object({ contactId }),
  output: ContactDetail,
  emits: [],
  run: (ctx, { contactId }) => getContact(ctx, contactId),
});

export const updateContactVerb = defineVerb({
  name: "contacts.update",
  summary: "Update a contact (custom fields are merged; a key set to null is removed)",
  permission: "contacts:write",
  input: ContactFields.extend({ contactId }),
  rules: ({ contactId: _, ...fields }) =>
    Object.values(fields).some((v) => v !== undefined) ? [] : [{ path: "", message: "give at least one field to change" }],
  output: Contact,
  emits: ["contact.updated", "contact.assigned"],
  run: (ctx, { contactId, ...fields }) => updateContact(ctx, contactId, fields),
});

export const deleteContactVerb = defineVerb({
  name: "contacts.delete",
  summary: "Delete a contact (its conversations stay; its identifiers are released)",
  permission: "contacts:delete",
  input: z.object({ contactId }),
  output: nothing,
  emits: ["contact.deleted"],
  run: (ctx, { contactId }) => deleteContact(ctx, contactId),
});

export const addIdentifierVerb = defineVerb({
  name: "contacts.add_identifier",
  summary: "Add an identifier (phone, WhatsApp @c.us / @lid, email) to a contact",
  permission: "contacts:write",
  input: IdentifierInput.extend({ contactId }),
  output: Identifier,
  emits: ["contact.identifier_added"],
  run: (ctx, { contactId, ...identifier }) => addIdentifier(ctx, contactId, identifier),
});

export const removeIdentifierVerb = defineVerb({
  name: "contacts.remove_identifier",
  summary: "Remove an identifier from a contact",
  permission: "contacts:write",
  input: z.object({ contactId, identifierId: z.uuid() }),
  output: nothing,
  emits: ["contact.identifier_removed"],
  run: (ctx, { contactId, identifierId }) => removeIdentifier(ctx, contactId, identifierId),
});

export const assignContactVerb = defineVerb({
  name: "contacts.assign",
  summary: "Assign a contact (and optionally one of its sessions) to an agent; agentId null unassigns",
  permission: "contacts:write",
  input: z.object({ contactId, agentId: z.uuid().nullable(), sessionId: z.uuid().optional() }),
  output: z.object({ contactId: z.string(), assignedAgentId: z.string().nullable(), sessionId: z.string().nullable() }),
  emits: ["contact.assigned", "contact.updated", "session.assigned"],
  transaction: true,
  composes: [updateContactVerb],
  run: assignToAgent,
});
