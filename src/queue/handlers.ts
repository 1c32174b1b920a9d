import type { Topic } from "../outbox/events";
import type { TopicHandler } from "./consumer";

/** Topic → consumer. Each handler calls services; none holds business logic of its own. */
export const topicHandlers: Partial<Record<Topic, TopicHandler>> = {};
