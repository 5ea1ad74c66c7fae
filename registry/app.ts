import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { OciErrorEntry } from "../src/oci/errorcodes.ts";
import { RegistryError } from "./errors.ts";
import { baseRoutes } from "./routes/base.ts";
import { blobRoutes } from "./routes/blobs.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import type { RouteDeps } from "./routes/context.ts";
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
}

/**
 * The registry's HTTP API as a Hono app: thin routes over a RegistryStore, one error
 * boundary that answers every failure as an OCI error body.
 *
 * @example
 * const app = createRegistryApp({ store: new RegistryStore({ driver: new MemoryDriver() }) });
 * await app.request("/v2/"); // 200
 */
export function createRegistryApp(options: RegistryAppOptions): Hono {
  const deps: RouteDeps = {
    store: options.store,
    maxTagsPage: options.maxTagsPage ?? 10_000,
    maxCatalogPage: options.maxCatalogPage ?? 1_000,
    defaultCatalogPage: options.defaultCatalogPage ?? 100,
  };
  const app = new Hono();

  app.use("*", async (c, next) => {
    await next();
    c.res.headers.set("Docker-Distribution-API-Version", "registry/2.0");
  });

  for (const routes of [baseRoutes(), catalogRoutes(deps), uploadRoutes(deps), blobRoutes(deps), manifestRoutes(deps), tagRoutes(deps), referrerRoutes(deps)]) {
    app.route("/", routes);
  }

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
