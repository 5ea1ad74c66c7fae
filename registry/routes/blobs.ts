import { Hono } from "hono";
import type { RouteDeps } from "./context.ts";
import { lastSegment, repoName } from "./util.ts";

/** Blob reads (with Range) and deletes: `/v2/<name>/blobs/<digest>`. */
export function blobRoutes({ store }: RouteDeps): Hono {
  const app = new Hono();

  app.get("/v2/:name{.+}/blobs/:digest", async (c) => {
    const repo = repoName(c, "/blobs/");
    const digest = lastSegment(c);
    const blob = await store.openBlob(repo, digest);
    const size = blob.size;
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      "Docker-Content-Digest": digest,
      "Accept-Ranges": "bytes",
      ETag: `"${digest}"`,
    };
    const range = parseRange(c.req.header("range"), size);
    if (range === "unsatisfiable") {
      return c.body(null, 416, { ...headers, "Content-Range": `bytes */${size}` });
    }
    if (range) {
      const length = range.end - range.start + 1;
      headers["Content-Range"] = `bytes ${range.start}-${range.end}/${size}`;
      headers["Content-Length"] = String(length);
      if (c.req.method === "HEAD") return c.body(null, 206, headers);
      return new Response(blob.slice(range.start, range.end + 1), { status: 206, headers });
    }
    headers["Content-Length"] = String(size);
    if (c.req.method === "HEAD") {
      // Clients HEAD a blob before skipping its upload: keep gc off it while they push.
      await store.markUsed(repo, digest);
      return c.body(null, 200, headers);
    }
    return new Response(blob, { status: 200, headers });
  });

  app.delete("/v2/:name{.+}/blobs/:digest", async (c) => {
    await store.deleteBlob(repoName(c, "/blobs/"), lastSegment(c));
    return c.body(null, 202, { "Content-Length": "0" });
  });

  return app;
}

/**
 * One byte range of RFC 9110 (`bytes=a-b`, `bytes=a-`, `bytes=-n`), clamped to the blob.
 * Undefined means "send it all" (no header, a malformed one, or several ranges, which the
 * RFC lets a server ignore); "unsatisfiable" is a 416.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d{0,20})-(\d{0,20})$/.exec(header.trim());
  if (!match) return undefined;
  const [, from = "", to = ""] = match;
  if (from === "" && to === "") return undefined;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || Number(to === "" ? start : to) < start) return "unsatisfiable";
  return { start, end };
}
