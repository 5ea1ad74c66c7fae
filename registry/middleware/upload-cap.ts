import type { MiddlewareHandler } from "hono";
import { RegistryError } from "../errors.ts";
import type { RegistryEnv } from "../routes/context.ts";
import { hasBody } from "../routes/util.ts";

/**
 * Caps upload requests streaming at once (a POST with its body, a PATCH, a closing PUT): each
 * holds a file open and a client's connection, so without a cap a flood of slow uploads
 * exhausts descriptors (d-15). Past the cap the answer is 429 with Retry-After; clients retry.
 *
 * @example app.use("*", uploadCap(256));
 */
export function uploadCap(max: number): MiddlewareHandler<RegistryEnv> {
  let streaming = 0;
  return async function capUploads(c, next) {
    const method = c.req.method;
    const streams = method === "PATCH" || method === "PUT" || (method === "POST" && hasBody(c.req.raw));
    if (c.get("kind").route !== "upload" || !streams) return next();
    if (streaming >= max) {
      throw new RegistryError("TOOMANYREQUESTS", `more than ${max} uploads are streaming at once; retry shortly`, { headers: { "Retry-After": "1" } });
    }
    streaming++;
    try {
      await next();
    } finally {
      streaming--;
    }
  };
}
