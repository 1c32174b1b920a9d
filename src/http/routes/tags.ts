import { z } from "@hono/zod-openapi";
import { attachTag, createTag, deleteTag, detachTag, listTags, TagInput, updateTag } from "../../services/tags";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, noContent, resource, uuidParam } from "../openapi";
import { createRouter } from "../router";

const Tag = resource("Tag", { name: z.string(), color: z.string().nullable() });
const tags = ["Tags"];

const list = authedRoute("crm:read", { method: "get", path: "/tags", tags, summary: "List tags", responses: { 200: json(z.object({ data: z.array(Tag) }), "Tags"), ...authErrors() } });
const create = authedRoute("tags:manage", { method: "post", path: "/tags", tags, summary: "Create a tag", request: { body: jsonBody(TagInput) }, responses: { 201: json(Tag, "Created"), ...authErrors(), ...errors(409) } });
const update = authedRoute("tags:manage", { method: "patch", path: "/tags/{id}", tags, summary: "Rename or recolour a tag", request: { params: IdParam, body: jsonBody(TagInput.partial()) }, responses: { 200: json(Tag, "Updated"), ...authErrors(), ...errors(409) } });
const remove = authedRoute("tags:manage", { method: "delete", path: "/tags/{id}", tags, summary: "Delete a tag (detaches it everywhere)", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });
const attach = authedRoute("tags:assign", {
  method: "post", path: "/contacts/{id}/tags", tags, summary: "Attach a tag to a contact (idempotent)",
  request: { params: IdParam, body: jsonBody(z.object({ tagId: z.uuid() })) },
  responses: { 200: json(Tag, "Attached"), ...authErrors() },
});
const detach = authedRoute("tags:assign", {
  method: "delete", path: "/contacts/{id}/tags/{tagId}", tags, summary: "Detach a tag from a contact",
  request: { params: IdParam.extend({ tagId: uuidParam("tagId") }) },
  responses: { 204: noContent, ...authErrors() },
});

export const tagRoutes = createRouter()
  .openapi(list, async (c) => {
    return c.json({ data: await listTags(c.var.svc) }, 200);
  })
  .openapi(create, async (c) => {
    return c.json(await createTag(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(update, async (c) => {
    return c.json(await updateTag(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    await deleteTag(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(attach, async (c) => {
    return c.json(await attachTag(c.var.svc, c.req.valid("param").id, c.req.valid("json").tagId), 200);
  })
  .openapi(detach, async (c) => {
    const { id, tagId } = c.req.valid("param");
    await detachTag(c.var.svc, id, tagId);
    return c.body(null, 204);
  });
