import { Hono } from "hono";
import type { RegistryEnv, RouteDeps } from "./context.ts";
import { lastSegment, readLimited, repoName } from "./util.ts";

const MARKER = "/manifests/";
/** More `?tag=` values than this is a 414, as the spec allows. */
const MAX_TAG_PARAMS = 100;

/** Manifests by tag or digest: GET/HEAD, PUT (with `?tag=` on a digest push), DELETE. */
export function manifestRoutes({ store }: RouteDeps): Hono<RegistryEnv> {
  const app = new Hono<RegistryEnv>();

  app.get(`/v2/:name{.+}${MARKER}:reference`, async (c) => {
    const repo = repoName(c, MARKER);
    const reference = lastSegment(c);
    const head = c.req.method === "HEAD";
    const manifest = head ? await store.statManifest(repo, reference) : await store.getManifest(repo, reference);
    // A HEAD by digest precedes skipping a child manifest's push: keep gc off it meanwhile.
    if (head && reference.includes(":")) await store.markUsed(repo, manifest.digest);
    const headers = {
      "Content-Type": manifest.mediaType,
      "Content-Length": String(manifest.size),
      "Docker-Content-Digest": manifest.digest,
      ETag: `"${manifest.digest}"`,
    };
    if (c.req.header("if-none-match") === headers.ETag) return c.body(null, 304, headers);
    if (head || !("bytes" in manifest)) return c.body(null, 200, headers);
    return c.body(manifest.bytes as Uint8Array<ArrayBuffer>, 200, headers);
  });

  app.put(`/v2/:name{.+}${MARKER}:reference`, async (c) => {
    const repo = repoName(c, MARKER);
    const reference = lastSegment(c);
    const tags = c.req.queries("tag") ?? [];
    if (tags.length > MAX_TAG_PARAMS) {
      return c.json({ errors: [{ code: "TAG_INVALID", message: `at most ${MAX_TAG_PARAMS} tag parameters per push` }] }, 414);
    }
    const bytes = await readLimited(c.req.raw, store.maxManifestBytes, "manifest");
    // Moving an existing tag needs the update right, whatever the tag (`latest` included, d-6).
    const mayMoveTags = c.get("access").can(repo, "update");
    const result = await store.putManifest(repo, reference, bytes, c.req.header("content-type"), tags, { mayMoveTags });
    const headers = new Headers({
      Location: `/v2/${repo}${MARKER}${result.digest}`,
      "Docker-Content-Digest": result.digest,
      "Content-Length": "0",
    });
    if (result.subject) headers.set("OCI-Subject", result.subject);
    if (reference.includes(":")) for (const tag of result.tags) headers.append("OCI-Tag", tag);
    return new Response(null, { status: 201, headers });
  });

  app.delete(`/v2/:name{.+}${MARKER}:reference`, async (c) => {
    await store.deleteManifest(repoName(c, MARKER), lastSegment(c));
    return c.body(null, 202, { "Content-Length": "0" });
  });

  return app;
}
