import type { MiddlewareHandler } from "hono";
import type { AccessLog } from "../ops/log.ts";
import { loggablePath } from "../ops/log.ts";
import type { RegistryMetrics } from "../ops/metrics.ts";
import type { RegistryEnv } from "../routes/context.ts";
import { rawPath } from "../routes/util.ts";
import { clientAddress } from "./address.ts";
import { classify } from "./classify.ts";

/**
 * The outermost middleware: classifies the request (for auth, read-only mode, metrics and
 * the log), then, once the response (or the error answer) is ready, counts it and writes its
 * access-log line. Timing stops at the response headers; bodies are counted by their
 * Content-Length (a streamed upload without one is counted by the store as it arrives).
 *
 * @example app.use("*", observe({ metrics, log }));
 */
export function observe(options: { metrics?: RegistryMetrics | undefined; log?: AccessLog | undefined }): MiddlewareHandler<RegistryEnv> {
  const { metrics, log } = options;
  return async function observeRequest(c, next) {
    const start = performance.now();
    const method = c.req.method;
    const path = rawPath(c);
    const kind = classify(method, path);
    c.set("kind", kind);
    metrics?.inFlight.inc([], 1);
    try {
      await next();
    } finally {
      metrics?.inFlight.inc([], -1);
    }
    if (!metrics && !log) return;
    const res = c.res;
    const seconds = (performance.now() - start) / 1000;
    const bytesOut = method === "HEAD" || res.status === 304 ? 0 : Number(res.headers.get("content-length") ?? 0);
    const bytesIn = Number(c.req.header("content-length") ?? 0) || 0;
    // Upload bodies are counted by the store as they stream (they often have no length).
    metrics?.request(kind.route, method, res.status, seconds, kind.route === "upload" ? 0 : bytesIn, bytesOut);
    log?.request({
      method,
      path: loggablePath(c.req.url, path),
      status: res.status,
      ms: seconds * 1000,
      bytesIn,
      bytesOut,
      route: kind.route,
      address: clientAddress(c),
      user: c.get("access")?.principal.user,
    });
  };
}
