import { Hono } from "hono";
import type { RouteDeps } from "./context.ts";
import { nextLink, pageSize } from "./util.ts";

/** `GET /v2/_catalog[?n=&last=]`: repository names, paginated like Distribution. */
export function catalogRoutes({ store, maxCatalogPage, defaultCatalogPage }: RouteDeps): Hono {
  const app = new Hono();
  app.get("/v2/_catalog", async (c) => {
    const n = pageSize(c, maxCatalogPage) ?? defaultCatalogPage;
    const page = await store.catalog(n, c.req.query("last"));
    const body = { repositories: page.items };
    if (page.next !== undefined) return c.json(body, 200, { Link: nextLink("/v2/_catalog", n, page.next) });
    return c.json(body);
  });
  return app;
}
