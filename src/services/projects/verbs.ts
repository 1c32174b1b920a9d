import { z } from "zod";
import { Role } from "../auth/principal";
import { resource, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import {
  createProject,
  currentProject,
  listProjects,
  ProjectInput,
  ProjectSettings,
  ProjectSettingsInput,
  updateCurrentProject,
} from "./index";

const projectFields = {
  tenantId: z.string(),
  name: z.string(),
  slug: z.string(),
  settings: ProjectSettings,
  createdAt: timestamp,
  updatedAt: timestamp,
};
const Project = resource("Project", projectFields);
const ProjectEntry = resource("ProjectEntry", {
  ...projectFields,
  role: Role.optional().describe("The caller's role in the project (users only; an API key has one project)"),
});

export const listProjectsVerb = defineVerb({
  name: "projects.list",
  summary: "Projects the caller can enter",
  permission: "crm:read",
  input: z.object({}),
  output: z.object({ data: z.array(ProjectEntry) }).meta({ id: "ProjectList" }),
  emits: [],
  run: async (ctx) => ({ data: await listProjects(ctx) }),
});

export const createProjectVerb = defineVerb({
  name: "projects.create",
  summary: "Create a project in the tenant (its creator becomes its admin)",
  permission: "projects:manage",
  input: ProjectInput,
  output: Project,
  emits: ["project.created"],
  run: createProject,
});

export const getCurrentProjectVerb = defineVerb({
  name: "projects.get_current",
  summary: "The project of the current token",
  permission: "crm:read",
  input: z.object({}),
  output: Project,
  emits: [],
  run: currentProject,
});

export const updateCurrentProjectVerb = defineVerb({
  name: "projects.update_current",
  summary: "Rename the project or change its settings (given settings are merged into the current ones)",
  permission: "projects:manage",
  input: ProjectSettingsInput,
  rules: (input) => (Object.values(input).some((v) => v !== undefined) ? [] : [{ path: "", message: "give at least one field to change" }]),
  output: Project,
  emits: ["project.updated"],
  run: updateCurrentProject,
});
