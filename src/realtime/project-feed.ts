import { EventStream } from "./event-stream";

/** One per project: every conversation event of the project, for inbox and dashboard screens. */
export class ProjectFeed extends EventStream {}
