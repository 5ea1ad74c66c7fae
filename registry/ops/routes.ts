import { Hono } from "hono";
import { clientAddress, isLoopbackAddress } from "../middleware/address.ts";
import type { RegistryEnv } from "../routes/context.ts";
import type { RegistryMetrics } from "./metrics.ts";

/** Whether the server can take requests; false while stopping or when storage is unusable. */
export interface Readiness {
  check(): Promise<{ ready: boolean; reason?: string }>;
}

/**
 * `/healthz` (the process answers), `/readyz` (it can serve: not stopping, storage usable) and
 * `/metrics` (Prometheus text). `metricsFor` says who gets /metrics on this listener:
 * `everyone` (a separate metrics listener), `loopback` (the main listener: only clients on
 * this machine, d-12), or `nobody`. Anyone else gets the same 404 as an unknown path.
 *
 * @example app.route("/", opsRoutes({ metrics, readiness, metricsFor: "loopback" }));
 */
export function opsRoutes(options: {
  metrics?: RegistryMetrics | undefined;
  readiness: Readiness;
  metricsFor: "everyone" | "loopback" | "nobody";
}): Hono<RegistryEnv> {
  const app = new Hono<RegistryEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, { "Cache-Control": "no-store" }));
  app.get("/readyz", async (c) => {
    const { ready, reason } = await options.readiness.check();
    return c.json(ready ? { status: "ready" } : { status: "not ready", reason }, ready ? 200 : 503, { "Cache-Control": "no-store" });
  });
  const { metrics, metricsFor } = options;
  if (metrics && metricsFor !== "nobody") {
    app.get("/metrics", async (c) => {
      if (metricsFor === "loopback" && !isLoopbackAddress(clientAddress(c))) return c.notFound();
      return c.body(await metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" });
    });
  }
  return app;
}
