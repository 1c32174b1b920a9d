import { createRoute, z } from "@hono/zod-openapi";
import { authorize } from "../../services/auth/permissions";
import { attachTag, createTag, deleteTag, detachTag, listTags, TagInput, updateTag } from "../../services/tags";
import { authErrors, errors, IdParam, json, jsonBody, noContent, resource, security, uuidParam } from "../openapi";
import { createRouter } from "../router";

const Tag = resource("Tag", { name: z.string(), color: z.string().nullable() });
const tags = ["Tags"];

const list = createRoute({ method: "get", path: "/tags", tags, security, summary: "List tags", responses: { 200: json(z.object({ data: z.array(Tag) }), "Tags"), ...authErrors() } });
const create = createRoute({ method: "post", path: "/tags", tags, security, summary: "Create a tag", request: { body: jsonBody(TagInput) }, responses: { 201: json(Tag, "Created"), ...authErrors(), ...errors(409) } });
const update = createRoute({ method: "patch", path: "/tags/{id}", tags, security, summary: "Rename or recolour a tag", request: { params: IdParam, body: jsonBody(TagInput.partial()) }, responses: { 200: json(Tag, "Updated"), ...authErrors(), ...errors(409) } });
const remove = createRoute({ method: "delete", path: "/tags/{id}", tags, security, summary: "Delete a tag (detaches it everywhere)", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });
const attach = createRoute({
  method: "post", path: "/contacts/{id}/tags", tags, security, summary: "Attach a tag to a contact (idempotent)",
  request: { params: IdParam, body: jsonBody(z.object({ tagId: z.uuid() })) },
  responses: { 200: json(Tag, "Attached"), ...authErrors() },
});
const detach = createRoute({
  method: "delete", path: "/contacts/{id}/tags/{tagId}", tags, security, summary: "Detach a tag from a contact",
  request: { params: IdParam.extend({ tagId: uuidParam("tagId") }) },
  responses: { 204: noContent, ...authErrors() },
});

export const tagRoutes = createRouter()
  .openapi(list, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json({ data: await listTags(c.var.svc) }, 200);
  })
  .openapi(create, async (c) => {
    authorize(c.var.principal, "tags:manage");
    return c.json(await createTag(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(update, async (c) => {
    authorize(c.var.principal, "tags:manage");
    return c.json(await updateTag(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    authorize(c.var.principal, "tags:manage");
    await deleteTag(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(attach, async (c) => {
    authorize(c.var.principal, "tags:assign");
    return c.json(await attachTag(c.var.svc, c.req.valid("param").id, c.req.valid("json").tagId), 200);
  })
  .openapi(detach, async (c) => {
    authorize(c.var.principal, "tags:assign");
    const { id, tagId } = c.req.valid("param");
    await detachTag(c.var.svc, id, tagId);
    return c.body(null, 204);
  });
