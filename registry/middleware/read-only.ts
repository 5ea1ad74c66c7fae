import type { MiddlewareHandler } from "hono";
import { RegistryError } from "../errors.ts";
import type { RegistryEnv } from "../routes/context.ts";

/**
 * Maintenance mode: every write under /v2/ (POST, PUT, PATCH, DELETE) is refused with 405
 * UNSUPPORTED and a message saying why, before it reaches storage; reads go on.
 *
 * @example if (config.readOnly) app.use("*", readOnly());
 */
export function readOnly(): MiddlewareHandler<RegistryEnv> {
  return async function refuseWrites(c, next) {
    if (c.get("kind").write) {
      throw new RegistryError("UNSUPPORTED", "the registry is in read-only mode for maintenance: pushes and deletes are refused, pulls work", {
        status: 405,
      });
    }
    return next();
  };
}
