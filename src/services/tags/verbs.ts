import { z } from "zod";
import { nothing, resource } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { attachTag, attachTagByName, createTag, deleteTag, detachTag, listTags, TagInput, updateTag } from "./index";

const Tag = resource("Tag", { name: z.string(), color: z.string().nullable() });
const tagId = z.uuid().describe("The tag id");
const contactId = z.uuid().describe("The contact id");

export const listTagsVerb = defineVerb({
  name: "tags.list",
  summary: "List tags",
  permission: "crm:read",
  input: z.object({}),
  output: z.object({ data: z.array(Tag) }),
  emits: [],
  run: async (ctx) => ({ data: await listTags(ctx) }),
});

export const createTagVerb = defineVerb({
  name: "tags.create",
  summary: "Create a tag",
  permission: "tags:manage",
  input: TagInput,
  output: Tag,
  emits: ["tag.created"],
  run: createTag,
});

export const updateTagVerb = defineVerb({
  name: "tags.update",
  summary: "Rename or recolour a tag",
  permission: "tags:manage",
  input: TagInput.partial().extend({ tagId }),
  output: Tag,
  emits: ["tag.updated"],
  run: (ctx, { tagId, ...changes }) => updateTag(ctx, tagId, changes),
});

export const deleteTagVerb = defineVerb({
  name: "tags.delete",
  summary: "Delete a tag (detaches it everywhere)",
  permission: "tags:manage",
  input: z.object({ tagId }),
  output: nothing,
  emits: ["tag.deleted"],
  run: (ctx, { tagId }) => deleteTag(ctx, tagId),
});

export const attachTagVerb = defineVerb({
  name: "tags.attach",
  summary: "Tag a contact, by tag id or by name (idempotent; a new name creates the tag, which needs tags:manage)",
  permission: "tags:assign",
  input: z.object({ contactId, tagId: tagId.optional(), tagName: TagInput.shape.name.optional() }),
  rules: (i) => (i.tagId || i.tagName ? [] : [{ path: "tagId", message: "tagId or tagName is required" }]),
  output: Tag,
  emits: ["tag.added", "tag.created"],
  run: (ctx, i) => (i.tagId ? attachTag(ctx, i.contactId, i.tagId) : attachTagByName(ctx, i.contactId, i.tagName!)),
});

export const detachTagVerb = defineVerb({
  name: "tags.detach",
  summary: "Detach a tag from a contact",
  permission: "tags:assign",
  input: z.object({ contactId, tagId }),
  output: nothing,
  emits: ["tag.removed"],
  run: (ctx, { contactId, tagId }) => detachTag(ctx, contactId, tagId),
});
