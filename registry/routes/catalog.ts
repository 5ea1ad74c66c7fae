import { Hono } from "hono";
import type { RegistryEnv, RouteDeps } from "./context.ts";
import { nextLink, pageSize } from "./util.ts";

/** `GET /v2/_catalog[?n=&last=]`: repository names, paginated like Distribution. */
export function catalogRoutes({ store, maxCatalogPage, defaultCatalogPage }: RouteDeps): Hono<RegistryEnv> {
  const app = new Hono<RegistryEnv>();
  app.get("/v2/_catalog", async (c) => {
    const n = pageSize(c, maxCatalogPage) ?? defaultCatalogPage;
    const access = c.get("access");
    // Only what the caller may read is listed (unrestricted when authentication is off). A
    // token's `registry:catalog:*` grant lists by the rules, not by its repository scopes.
    const page = await store.catalog(n, c.req.query("last"), access.enforced ? (name) => access.policyAllows(name, "read") : undefined);
    const body = { repositories: page.items };
    if (page.next !== undefined) return c.json(body, 200, { Link: nextLink("/v2/_catalog", n, page.next) });
    return c.json(body);
  });
  return app;
}
