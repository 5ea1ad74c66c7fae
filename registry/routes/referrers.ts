import { Hono } from "hono";
import { MediaType } from "../../src/oci/mediatypes.ts";
import type { RouteDeps } from "./context.ts";
import { lastSegment, repoName } from "./util.ts";

/**
 * `GET /v2/<name>/referrers/<digest>[?artifactType=]`: an image index of the manifests whose
 * subject is `digest`; empty (never 404) when there are none or the repository is unknown.
 */
export function referrerRoutes({ store }: RouteDeps): Hono {
  const app = new Hono();
  app.get("/v2/:name{.+}/referrers/:digest", async (c) => {
    const repo = repoName(c, "/referrers/");
    const artifactType = c.req.query("artifactType") || undefined;
    const manifests = await store.referrers(repo, lastSegment(c), artifactType);
    const headers: Record<string, string> = { "Content-Type": MediaType.ociIndex };
    if (artifactType !== undefined) headers["OCI-Filters-Applied"] = "artifactType";
    const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests });
    return c.body(body, 200, headers);
  });
  return app;
}
