import type { IncomingMessage } from "node:http";

/** A local peer's request body as text ("{}" when empty): the WAHA sandbox and the model peer read them alike. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8") || "{}"));
    req.on("error", reject);
  });
}
