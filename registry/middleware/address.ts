import type { Context } from "hono";
import type { RegistryEnv } from "../routes/context.ts";

/**
 * The client's IP address as Bun saw the connection, or "unknown" (in-process `app.request`
 * calls have no connection). Proxy headers such as X-Forwarded-For are not trusted: anyone can
 * send them, and rate limits keyed on them could be dodged.
 *
 * @example limiter.take(clientAddress(c))
 */
export function clientAddress(c: Context<RegistryEnv>): string {
  try {
    return c.env?.requestIP?.(c.req.raw)?.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * True for addresses of this machine (127.0.0.0/8, ::1, and IPv4-mapped 127.x).
 *
 * @example isLoopbackAddress("::ffff:127.0.0.1") // true
 */
export function isLoopbackAddress(address: string): boolean {
  return address === "::1" || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}
