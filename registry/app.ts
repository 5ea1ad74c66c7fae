import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { OciErrorEntry } from "../src/oci/errorcodes.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import { tokenRoutes } from "./auth/token-routes.ts";
import { RegistryError } from "./errors.ts";
import { authentication } from "./middleware/auth.ts";
import { observe } from "./middleware/observe.ts";
import { readOnly } from "./middleware/read-only.ts";
import { uploadCap } from "./middleware/upload-cap.ts";
import type { AccessLog } from "./ops/log.ts";
import type { RegistryMetrics } from "./ops/metrics.ts";
import { opsRoutes, type Readiness } from "./ops/routes.ts";
import { baseRoutes } from "./routes/base.ts";
import { blobRoutes } from "./routes/blobs.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import type { RegistryEnv, RouteDeps } from "./routes/context.ts";
import { manifestRoutes } from "./routes/manifests.ts";
import { referrerRoutes } from "./routes/referrers.ts";
import { tagRoutes } from "./routes/tags.ts";
import { uploadRoutes } from "./routes/uploads.ts";
import type { RegistryStore } from "./storage/store.ts";

export interface RegistryAppOptions {
  store: RegistryStore;
  /** Largest tags page (n is clamped to it). Default 10,000. */
  maxTagsPage?: number;
  /** Largest catalog page. Default 1,000 (Distribution's maxentries). */
  maxCatalogPage?: number;
  /** Catalog page without `n`. Default 100 (as Distribution). */
  defaultCatalogPage?: number;
  /** Called with errors that are not the client's fault (500s). */
  onInternalError?: (error: unknown, request: Request) => void;
  /** Who may do what; undefined: no authentication, everyone may do everything. */
  auth?: Authenticator | undefined;
  /** Maintenance mode: writes answer 405 UNSUPPORTED. */
  readOnly?: boolean;
  /** Counted into by every request; served at /metrics as `metricsFor` says. */
  metrics?: RegistryMetrics | undefined;
  /** Who gets /metrics on this app: loopback clients (default), everyone, or nobody. */
  metricsFor?: "everyone" | "loopback" | "nobody";
  /** One line per request; undefined: no access log. */
  log?: AccessLog | undefined;
  /** Answers /readyz; default: always ready. */
  readiness?: Readiness;
  /** Upload requests streaming at once before 429. Default 256. */
  maxConcurrentUploads?: number;
}

/**
 * The registry's HTTP API as a Hono app: thin routes over a RegistryStore, one error
 * boundary that answers every failure as an OCI error body.
 *
 * @example
 * const app = createRegistryApp({ store: new RegistryStore({ driver: new MemoryDriver() }) });
 * await app.request("/v2/"); // 200
 */
export function createRegistryApp(options: RegistryAppOptions): Hono<RegistryEnv> {
  const deps: RouteDeps = {
    store: options.store,
    maxTagsPage: options.maxTagsPage ?? 10_000,
    maxCatalogPage: options.maxCatalogPage ?? 1_000,
    defaultCatalogPage: options.defaultCatalogPage ?? 100,
  };
  const app = new Hono<RegistryEnv>();

  app.use("*", observe({ metrics: options.metrics, log: options.log }));
  app.use("*", async (c, next) => {
    await next();
    c.res.headers.set("Docker-Distribution-API-Version", "registry/2.0");
  });
  app.use("*", authentication(options.auth));
  if (options.readOnly) app.use("*", readOnly());
  app.use("*", uploadCap(options.maxConcurrentUploads ?? 256));

  app.route("/", baseRoutes());
  app.route("/", catalogRoutes(deps));
  app.route("/", uploadRoutes(deps));
  app.route("/", blobRoutes(deps));
  app.route("/", manifestRoutes(deps));
  app.route("/", tagRoutes(deps));
  app.route("/", referrerRoutes(deps));
  if (options.auth?.type === "token") app.route("/", tokenRoutes(options.auth, options.metrics));
  app.route(
    "/",
    opsRoutes({
      metrics: options.metrics,
      metricsFor: options.metricsFor ?? "loopback",
      readiness: options.readiness ?? { check: async () => ({ ready: true }) },
    }),
  );

  app.notFound((c) => errorResponse(404, [{ code: "UNSUPPORTED", message: `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}` }]));

  app.onError((error, c) => {
    if (error instanceof RegistryError) {
      const entry: OciErrorEntry = { code: error.code, message: error.message };
      if (error.detail !== undefined) entry.detail = error.detail;
      return errorResponse(error.status, [entry], error.headers);
    }
    if (error instanceof HTTPException) {
      return errorResponse(error.status, [{ code: error.status === 413 ? "SIZE_INVALID" : "UNKNOWN", message: error.message }]);
    }
    options.onInternalError?.(error, c.req.raw);
    return errorResponse(500, [{ code: "UNKNOWN", message: "internal error; see the registry log" }]);
  });

  return app;
}

function errorResponse(status: number, errors: OciErrorEntry[], headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ errors }), {
    status,
    headers: {
      ...headers,
      "Content-Type": "application/json",
      "Docker-Distribution-API-Version": "registry/2.0",
    },
  });
}
