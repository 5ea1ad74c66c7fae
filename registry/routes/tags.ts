import { Hono } from "hono";
import type { RouteDeps } from "./context.ts";
import { nextLink, pageSize, repoName } from "./util.ts";

/** `GET /v2/<name>/tags/list[?n=&last=]`: tags in ASCII order, with a Link when cut short. */
export function tagRoutes({ store, maxTagsPage }: RouteDeps): Hono {
  const app = new Hono();
  app.get("/v2/:name{.+}/tags/list", async (c) => {
    const repo = repoName(c, "/tags/list");
    const n = pageSize(c, maxTagsPage);
    const page = await store.listTags(repo, n, c.req.query("last"));
    const body = { name: repo, tags: page.items };
    if (page.next !== undefined && n !== undefined) {
      return c.json(body, 200, { Link: nextLink(`/v2/${repo}/tags/list`, n, page.next) });
    }
    return c.json(body);
  });
  return app;
}
