import { Hono, type Context } from "hono";
import { isSupportedAlgorithm, type DigestAlgorithm } from "../../src/oci/digest.ts";
import { RegistryError } from "../errors.ts";
import type { ChunkRange } from "../storage/uploads.ts";
import { rangeHeaders } from "../storage/uploads.ts";
import type { RegistryEnv, RouteDeps } from "./context.ts";
import { lastSegment, repoName } from "./util.ts";

const MARKER = "/blobs/uploads";

/**
 * Blob pushes: POST starts a session (or mounts, or takes the whole blob with `?digest=`),
 * PATCH appends a chunk (with Content-Range) or a stream (without), PUT closes with the
 * digest, GET reports progress, DELETE cancels.
 */
export function uploadRoutes({ store }: RouteDeps): Hono<RegistryEnv> {
  const app = new Hono<RegistryEnv>();

  const start = async (c: Context<RegistryEnv>) => {
    const repo = repoName(c, MARKER);
    const mount = c.req.query("mount");
    const access = c.get("access");
    // Mount only from repositories the caller may read (d-4, d-5); otherwise a 202 session.
    const canRead = access.enforced ? (name: string) => access.can(name, "read") : undefined;
    if (mount !== undefined && (await store.mountBlob(repo, mount, c.req.query("from"), canRead))) {
      return c.body(null, 201, blobCreatedHeaders(repo, mount));
    }
    const algorithm = digestAlgorithm(c.req.query("digest-algorithm"));
    const digest = c.req.query("digest");
    if (digest !== undefined) {
      await store.putBlob(repo, digest, c.req.raw.body, algorithm);
      return c.body(null, 201, blobCreatedHeaders(repo, digest));
    }
    const session = await store.startUpload(repo, algorithm);
    return c.body(null, 202, { ...rangeHeaders(repo, session.id, 0), "Content-Length": "0" });
  };
  app.post(`/v2/:name{.+}${MARKER}/`, start);
  app.post(`/v2/:name{.+}${MARKER}`, start);

  app.patch(`/v2/:name{.+}${MARKER}/:id`, async (c) => {
    const repo = repoName(c, MARKER);
    const id = lastSegment(c);
    const status = await store.appendUpload(repo, id, c.req.raw.body, contentRange(c));
    return c.body(null, 202, { ...rangeHeaders(repo, id, status.size), "Content-Length": "0" });
  });

  app.put(`/v2/:name{.+}${MARKER}/:id`, async (c) => {
    const repo = repoName(c, MARKER);
    const id = lastSegment(c);
    const digest = c.req.query("digest");
    if (!digest) throw new RegistryError("DIGEST_INVALID", "the closing PUT needs ?digest=<digest of the whole blob>");
    await store.finishUpload(repo, id, digest, c.req.raw.body, contentRange(c));
    return c.body(null, 201, blobCreatedHeaders(repo, digest));
  });

  app.get(`/v2/:name{.+}${MARKER}/:id`, async (c) => {
    const repo = repoName(c, MARKER);
    const id = lastSegment(c);
    const status = await store.uploadStatus(repo, id);
    return c.body(null, 204, rangeHeaders(repo, id, status.size));
  });

  app.delete(`/v2/:name{.+}${MARKER}/:id`, async (c) => {
    await store.cancelUpload(repoName(c, MARKER), lastSegment(c));
    return c.body(null, 204);
  });

  return app;
}

function blobCreatedHeaders(repo: string, digest: string): Record<string, string> {
  return { Location: `/v2/${repo}/blobs/${digest}`, "Docker-Content-Digest": digest, "Content-Length": "0" };
}

function digestAlgorithm(value: string | undefined): DigestAlgorithm {
  if (value === undefined) return "sha256";
  if (!isSupportedAlgorithm(value)) {
    throw new RegistryError("DIGEST_INVALID", `unsupported digest algorithm ${JSON.stringify(value.slice(0, 40))}`);
  }
  return value;
}

/** `Content-Range: <start>-<end>` of a chunk (the spec form has no unit; a `bytes` prefix is tolerated). */
function contentRange(c: Context): ChunkRange | undefined {
  const header = c.req.header("content-range");
  if (header === undefined) return undefined;
  const match = /^(?:bytes[= ])?(\d{1,20})-(\d{1,20})(?:\/(?:\d{1,20}|\*))?$/.exec(header.trim());
  if (!match) throw new RegistryError("BLOB_UPLOAD_INVALID", `malformed Content-Range ${JSON.stringify(header.slice(0, 60))}`, { status: 416 });
  const range = { start: Number(match[1]), end: Number(match[2]) };
  if (range.end < range.start) {
    throw new RegistryError("BLOB_UPLOAD_INVALID", `Content-Range ${header} ends before it starts`, { status: 416 });
  }
  return range;
}
