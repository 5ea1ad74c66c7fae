import { DigestMismatchError } from "../errors/index.ts";
import { parseSupportedDigest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { isRetryableStatus } from "./retry/policy.ts";
import { pushScopes, repoPath, type RepoContext } from "./context.ts";
import { ChunkSource } from "./chunks.ts";
import { uploadChunked } from "./upload-chunked.ts";
import { SessionLost, cancelSession, digestRefusal, locationOf, startSession, streamOf, withDigest } from "./upload-session.ts";
import { uploadStreamed, uploadWhole } from "./upload-streamed.ts";

/** Sizes that decide how a blob travels. Data, so tests and benchmarks can change them. */
export interface UploadTuning {
  /** Blobs up to this size go in one PUT (a stream is read into memory first). */
  monolithicMax: number;
  /**
   * PATCH chunk size when chunks are used (at least the registry's minimum). RSS grows with
   * it (~3× a chunk in flight on Bun 1.4.5) while throughput does not: 8 MiB measured best,
   * and stays above the 5 MiB minimum ECR-style registries want.
   */
  chunkSize: number;
}

export const DEFAULT_UPLOAD_TUNING: UploadTuning = { monolithicMax: 8 * 1024 * 1024, chunkSize: 8 * 1024 * 1024 };

export interface UploadOptions {
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
  /**
   * Opens the source again at an offset. With it a large blob goes as one streamed PATCH that
   * resumes at the registry's offset; without it, as chunks, of which only the one in flight
   * can be resent.
   */
  reopen?: (offset: number) => Promise<ReadableStream<Uint8Array>>;
  tuning?: Partial<UploadTuning>;
}

/**
 * Uploads a blob the registry does not have (the caller checked).
 *
 * - Up to `monolithicMax`: POST, then one PUT with the bytes (retried whole).
 * - Larger, with a source that can be reopened (bytes, a file, or `reopen`), and no chunk
 *   minimum announced: one streamed PATCH, resumed from the registry's offset when it breaks
 *   (a file, a Blob, is the PATCH's body as it is, sent with sendfile).
 * - Otherwise: PATCH chunks with Content-Range (`OCI-Chunk-Min-Length` respected), the chunk
 *   in flight resent from the registry's offset when it fails.
 *
 * When the registry loses the session itself, the upload starts over if the source can be
 * read again. Sizes are checked on the way; digests are not computed again: every source
 * verifies what it reads (a registry fetch, a layout, a file hashed for its digest), and the
 * registry hashes what it receives and refuses a mismatch (DIGEST_INVALID, reported as
 * DigestMismatchError). A failed upload's session is cancelled so nothing partial is left.
 *
 * @example await uploadBlob(ctx, desc, Bun.file(path).stream(), { reopen: async (o) => Bun.file(path).slice(o).stream() })
 */
export async function uploadBlob(ctx: RepoContext, desc: Descriptor, body: ReadableStream<Uint8Array> | Uint8Array | Blob, options: UploadOptions = {}): Promise<void> {
  const tuning = { ...DEFAULT_UPLOAD_TUNING, ...options.tuning };
  parseSupportedDigest(desc.digest);
  const file = body instanceof Blob ? body : undefined;
  if (file && file.size !== desc.size) throw new DigestMismatchError(`content pushed as ${desc.digest} is ${file.size} bytes, not ${desc.size}`);
  if (desc.size <= tuning.monolithicMax) {
    const bytes = body instanceof Uint8Array || body instanceof Blob ? body : await readExactly(body, desc.size, desc.digest);
    if (bytes instanceof Uint8Array && bytes.byteLength !== desc.size) throw new DigestMismatchError(`content pushed as ${desc.digest} is ${bytes.byteLength} bytes, not ${desc.size}`);
    return monolithic(ctx, desc, bytes, options);
  }
  const reopen =
    body instanceof Uint8Array ? async (offset: number) => streamOf(body.subarray(offset))
    : file ? async (offset: number) => file.slice(offset, desc.size).stream()
    : options.reopen;
  let unread: ReadableStream<Uint8Array> | undefined = body instanceof ReadableStream ? body : undefined;
  let chunks: ChunkSource | undefined;
  const extra = { ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  for (let restarts = 0; ; restarts++) {
    const session = await startSession(ctx, options.signal);
    try {
      if (file && session.minChunk === 0) {
        // A file goes as it is: one request body the kernel sends (sendfile), resumed with a
        // slice from the registry's offset; its progress is reported once it is up.
        await uploadWhole(ctx, desc, file, session, options.signal ? { signal: options.signal } : {});
        options.onProgress?.(desc.size);
      } else if (reopen && session.minChunk === 0) {
        const first = unread ?? (await reopen(0));
        unread = undefined;
        await uploadStreamed(ctx, desc, first, reopen, session, extra);
      } else {
        if (chunks) await chunks.restart();
        else chunks = new ChunkSource(body instanceof Uint8Array ? body : (unread ?? (await reopen!(0))), desc, reopen);
        unread = undefined;
        await uploadChunked(ctx, desc, chunks, session, Math.max(tuning.chunkSize, session.minChunk), extra);
      }
      return;
    } catch (error) {
      await cancelSession(ctx, session.location);
      const lost = error instanceof SessionLost;
      const canRestart = reopen !== undefined || (chunks?.canRestart() ?? false);
      if (!lost || restarts >= ctx.client.sender.options.policy.retries || !canRestart) throw lost ? error.cause : error;
    }
  }
}

/** Largest blob offered in the POST that opens an upload. */
const SINGLE_POST_MAX = 1024 * 1024;

/**
 * Small blobs: one POST carrying the blob (`?digest=`) where the registry takes it (idp
 * serve answers 201: one request instead of two), else POST then one PUT with the bytes. A
 * registry that answers 202 to the single POST is remembered and not offered it again. The
 * whole exchange is retried.
 */
async function monolithic(ctx: RepoContext, desc: Descriptor, bytes: Uint8Array | Blob, options: UploadOptions): Promise<void> {
  const policy = ctx.client.sender.options.policy;
  const size = bytes instanceof Blob ? bytes.size : bytes.byteLength;
  for (let attempt = 0; ; attempt++) {
    let location: URL;
    if (size <= SINGLE_POST_MAX && ctx.client.learned.singlePostUpload !== false) {
      const path = withDigest(ctx.client.url(repoPath(ctx, "blobs/uploads/")), desc.digest);
      const res = await ctx.client.request({
        method: "POST",
        url: path,
        scopes: pushScopes(ctx),
        headers: { "Content-Type": "application/octet-stream" },
        body: bytes,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (res.status === 201) {
        ctx.client.learned.singlePostUpload = true;
        await res.body?.cancel().catch(() => {});
        options.onProgress?.(size);
        return;
      }
      if (isRetryableStatus(res.status)) {
        const error = await ctx.client.error(res, "POST", path, ctx.repository);
        if (attempt >= policy.retries) throw error;
        continue;
      }
      if (res.status === 400) {
        // The bytes did not match (DIGEST_INVALID), or the registry refuses the form itself.
        const refusal = digestRefusal(await ctx.client.error(res, "POST", path, ctx.repository), desc.digest);
        if (refusal instanceof DigestMismatchError) throw refusal;
        ctx.client.learned.singlePostUpload = false;
        location = (await startSession(ctx, options.signal)).location;
      } else {
        // Not taken: a session opened instead (202, PUT the bytes to it), or the form refused
        // (a registry that does not do it); either way, not offered again.
        ctx.client.learned.singlePostUpload = false;
        await res.body?.cancel().catch(() => {});
        location = res.status === 202 ? locationOf(ctx, res, path) : (await startSession(ctx, options.signal)).location;
      }
    } else {
      location = (await startSession(ctx, options.signal)).location;
    }
    const url = withDigest(location, desc.digest);
    const res = await ctx.client.request({
      method: "PUT",
      url,
      scopes: pushScopes(ctx),
      headers: { "Content-Type": "application/octet-stream" },
      body: bytes,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (res.status === 201 || res.status === 204) {
      await res.body?.cancel().catch(() => {});
      options.onProgress?.(size);
      return;
    }
    const error = digestRefusal(await ctx.client.error(res, "PUT", url, ctx.repository), desc.digest);
    await cancelSession(ctx, location);
    if (attempt >= policy.retries || !(isRetryableStatus(res.status) || res.status === 404)) throw error;
  }
}

/** Reads a small stream whole; more or fewer bytes than announced is a mismatch. */
async function readExactly(stream: ReadableStream<Uint8Array>, size: number, digest: string): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  for await (const chunk of stream) {
    if (at + chunk.byteLength > size) throw new DigestMismatchError(`content pushed as ${digest} is longer than ${size} bytes`);
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== size) throw new DigestMismatchError(`content pushed as ${digest} is ${at} bytes, not ${size}`);
  return out;
}
