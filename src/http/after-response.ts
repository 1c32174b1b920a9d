/**
 * Runs `work` once the response has been handed back (a macrotask later), kept alive by waitUntil. Starting it
 * later, rather than just not awaiting it, keeps its database round trips out of the request's own accounting
 * (Server-Timing) and off the request's critical path.
 */
export function afterResponse(ctx: Pick<ExecutionContext, "waitUntil">, work: () => Promise<unknown>) {
  ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 0)).then(work));
}
