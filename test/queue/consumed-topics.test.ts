import { describe, expect, it } from "vitest";
import { CONSUMED_TOPICS } from "../../src/queue/consumed-topics";
import { topicHandlers } from "../../src/queue/handlers";

describe("CONSUMED_TOPICS", () => {
  it("is exactly the topics the queue consumer has a handler for", () => {
    expect([...new Set(CONSUMED_TOPICS)].sort()).toEqual(Object.keys(topicHandlers).sort());
  });
});
