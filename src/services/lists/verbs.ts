import { z } from "zod";
import { schema } from "../../db";
import { Contact } from "../contacts/verbs";
import { findScoped, listScoped, PageQuery } from "../shared/crud";
import { nothing, page, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { addMembers, createList, deleteList, ListInput, listMembers, MembersInput, removeMember, updateList } from "./index";

const ContactList = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "ContactList" });

const ListMember = Contact.extend({ addedAt: timestamp }).meta({ id: "ListMember" });

const listId = z.uuid().describe("The contact list id");

export const listContactListsVerb = defineVerb({
  name: "lists.list",
  summary: "List the project's static contact lists, newest first",
  permission: "crm:read",
  input: PageQuery,
  output: page(ContactList, "ContactListPage"),
  emits: [],
  run: (ctx, q) => listScoped(ctx, schema.contactLists, q),
});

export const createListVerb = defineVerb({
  name: "lists.create",
  summary: "Create a static contact list",
  permission: "lists:manage",
  input: ListInput,
  output: ContactList,
  emits: ["list.created"],
  run: createList,
});

export const getListVerb = defineVerb({
  name: "lists.get",
  summary: "Get a contact list",
  permission: "crm:read",
  input: z.object({ listId }),
  output: ContactList,
  emits: [],
  run: (ctx, { listId }) => findScoped(ctx, schema.contactLists, listId, "Contact list"),
});

export const updateListVerb = defineVerb({
  name: "lists.update",
  summary: "Update a contact list",
  permission: "lists:manage",
  input: ListInput.partial().extend({ listId }),
  output: ContactList,
  emits: ["list.updated"],
  run: (ctx, { listId, ...fields }) => updateList(ctx, listId, fields),
});

export const deleteListVerb = defineVerb({
  name: "lists.delete",
  summary: "Delete a contact list (its contacts stay)",
  permission: "lists:manage",
  input: z.object({ listId }),
  output: nothing,
  emits: ["list.deleted"],
  run: (ctx, { listId }) => deleteList(ctx, listId),
});

export const listListMembersVerb = defineVerb({
  name: "lists.members",
  summary: "List the (not deleted) contacts in a contact list",
  permission: "crm:read",
  input: PageQuery.extend({ listId }),
  output: page(ListMember, "ListMemberPage"),
  emits: [],
  run: (ctx, { listId, ...q }) => listMembers(ctx, listId, q),
});

export const addListMembersVerb = defineVerb({
  name: "lists.add_members",
  summary: "Add contacts to a contact list (existing members are skipped; unknown or deleted contacts are refused)",
  permission: "lists:manage",
  input: MembersInput.extend({ listId }),
  output: z.object({ added: z.number(), alreadyMembers: z.number() }).meta({ id: "ListMembersAdded" }),
  emits: ["list.member_added"],
  run: (ctx, { listId, contactIds }) => addMembers(ctx, listId, contactIds),
});

export const removeListMemberVerb = defineVerb({
  name: "lists.remove_member",
  summary: "Remove a contact from a contact list",
  permission: "lists:manage",
  input: z.object({ listId, contactId: z.uuid().describe("The contact id") }),
  output: nothing,
  emits: ["list.member_removed"],
  run: (ctx, { listId, contactId }) => removeMember(ctx, listId, contactId),
});
