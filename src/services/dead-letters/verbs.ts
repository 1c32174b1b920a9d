import { z } from "zod";
import { nullableTimestamp, page, resource, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { DeadLetterQuery, listDeadLetters, replayDeadLetter } from "./index";

const DeadLetter = resource("DeadLetter", {
  tenantId: z.string().nullable(),
  projectId: z.string().nullable(),
  outboxId: z.string().describe("The event's id, which consumers dedupe on"),
  topic: z.string(),
  payload: z.record(z.string(), z.unknown()),
  queue: z.string(),
  attempts: z.number(),
  receivedAt: timestamp,
  replayedAt: nullableTimestamp,
  replayCount: z.number(),
});

export const listDeadLettersVerb = defineVerb({
  name: "dead_letters.list",
  summary: "Events whose consumers failed every retry (dead-letter queue)",
  permission: "ops:manage",
  input: DeadLetterQuery,
  output: page(DeadLetter, "DeadLetterPage"),
  emits: [],
  run: listDeadLetters,
});

export const replayDeadLetterVerb = defineVerb({
  name: "dead_letters.replay",
  summary: "Send a dead-lettered event back to its consumers",
  permission: "ops:manage",
  input: z.object({ deadLetterId: z.uuid().describe("The dead letter id") }),
  output: DeadLetter,
  emits: ["dead_letter.replayed"],
  run: (ctx, { deadLetterId }) => replayDeadLetter(ctx, deadLetterId),
});
