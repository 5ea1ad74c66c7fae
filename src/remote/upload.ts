import { DigestMismatchError, IdpError, NetworkError } from "../errors/index.ts";
import { Digester, parseSupportedDigest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { isRetryableStatus } from "./retry/policy.ts";
import { pushScopes, repoPath, type RepoContext } from "./context.ts";
import { ChunkSource } from "./chunks.ts";

/** Sizes that decide how a blob travels. Data, so tests and benchmarks can change them. */
export interface UploadTuning {
  /** Blobs up to this size go in one PUT (a stream is read into memory first). */
  monolithicMax: number;
  /**
   * Larger blobs go in PATCH chunks of this size (at least the registry's minimum). RSS grows
   * with it (~3× a chunk in flight on Bun 1.4.5) while throughput does not: 8 MiB measured
   * best, and stays above the 5 MiB minimum ECR-style registries want.
   */
  chunkSize: number;
}

export const DEFAULT_UPLOAD_TUNING: UploadTuning = { monolithicMax: 8 * 1024 * 1024, chunkSize: 8 * 1024 * 1024 };

export interface UploadOptions {
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
  /**
   * Opens the source again at an offset. Without it a stream can be resumed only within the
   * chunk in flight; with it a session the registry lost can be started over.
   */
  reopen?: (offset: number) => Promise<ReadableStream<Uint8Array>>;
  tuning?: Partial<UploadTuning>;
}

/** Where an upload session stands, as the registry last told us. */
interface Session {
  location: URL;
  minChunk: number;
}

/**
 * Uploads a blob the registry does not have (the caller checked). Small blobs: POST then one
 * PUT with the bytes (which the sender can retry). Large blobs: PATCH chunks with
 * Content-Range, holding one chunk in memory; when a chunk fails (connection lost, stall,
 * 5xx, 429) the session's offset is asked for (`GET <location>`) and the upload continues from
 * there, instead of from zero. The whole stream is hashed on the way and checked before the
 * closing PUT; on failure the session is cancelled so nothing partial is left behind.
 *
 * @example await uploadBlob(ctx, desc, Bun.file(path).stream())
 */
export async function uploadBlob(ctx: RepoContext, desc: Descriptor, body: ReadableStream<Uint8Array> | Uint8Array, options: UploadOptions = {}): Promise<void> {
  const tuning = { ...DEFAULT_UPLOAD_TUNING, ...options.tuning };
  const { algorithm } = parseSupportedDigest(desc.digest);
  if (desc.size <= tuning.monolithicMax) {
    const bytes = body instanceof Uint8Array ? body : await readExactly(body, desc.size, desc.digest);
    await checkBytes(bytes, desc, algorithm);
    return monolithic(ctx, desc, bytes, options);
  }
  const source = new ChunkSource(body, desc, options.reopen);
  let restarts = 0;
  for (;;) {
    const session = await start(ctx, options.signal);
    try {
      await chunked(ctx, desc, source, session, Math.max(tuning.chunkSize, session.minChunk), new Digester(algorithm), options);
      return;
    } catch (error) {
      await cancel(ctx, session.location);
      const policy = ctx.client.sender.options.policy;
      if (!(error instanceof SessionLost) || restarts >= policy.retries || !source.canRestart()) {
        throw error instanceof SessionLost ? error.cause : error;
      }
      restarts++;
      await source.restart();
    }
  }
}

/** The registry lost the session (or its offset makes no sense): only a restart helps. */
class SessionLost extends Error {
  override readonly cause: IdpError;
  constructor(cause: IdpError) {
    super(cause.message);
    this.cause = cause;
  }
}

async function start(ctx: RepoContext, signal: AbortSignal | undefined): Promise<Session> {
  const path = repoPath(ctx, "blobs/uploads/");
  const res = await ctx.client.request({ method: "POST", url: path, scopes: pushScopes(ctx), headers: { "Content-Length": "0" }, ...(signal ? { signal } : {}) });
  if (res.status !== 202) throw await ctx.client.error(res, "POST", path, ctx.repository);
  await res.body?.cancel().catch(() => {});
  return { location: locationOf(ctx, res, path), minChunk: Number(res.headers.get("oci-chunk-min-length")) || 0 };
}

async function monolithic(ctx: RepoContext, desc: Descriptor, bytes: Uint8Array, options: UploadOptions): Promise<void> {
  const policy = ctx.client.sender.options.policy;
  for (let attempt = 0; ; attempt++) {
    const session = await start(ctx, options.signal);
    const url = withDigest(session.location, desc.digest);
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
      options.onProgress?.(bytes.byteLength);
      return;
    }
    const error = await ctx.client.error(res, "PUT", url, ctx.repository);
    await cancel(ctx, session.location);
    if (attempt >= policy.retries || !(isRetryableStatus(res.status) || res.status === 404)) throw error;
  }
}

async function chunked(ctx: RepoContext, desc: Descriptor, source: ChunkSource, session: Session, chunkSize: number, digester: Digester, options: UploadOptions): Promise<void> {
  let offset = 0;
  while (offset < desc.size) {
    const chunk = await source.next(chunkSize);
    digester.update(chunk);
    let sent = 0;
    let failures = 0;
    while (sent < chunk.byteLength) {
      const part = chunk.subarray(sent);
      const result = await patch(ctx, session, offset + sent, part, options.signal);
      if (result.ok) {
        sent = chunk.byteLength;
        break;
      }
      failures++;
      if (failures > ctx.client.sender.options.policy.retries) throw new SessionLost(result.error);
      const at = await uploadOffset(ctx, session);
      if (at === undefined || at < offset || at > offset + chunk.byteLength) throw new SessionLost(result.error);
      sent = at - offset;
    }
    offset += chunk.byteLength;
    options.onProgress?.(offset);
  }
  const actual = digester.digest();
  if (actual !== desc.digest || digester.size !== desc.size) {
    throw new DigestMismatchError(`content pushed as ${desc.digest} has digest ${actual} (${digester.size} bytes)`);
  }
  const url = withDigest(session.location, desc.digest);
  const res = await ctx.client.request({ method: "PUT", url, scopes: pushScopes(ctx), headers: { "Content-Length": "0" }, ...(options.signal ? { signal: options.signal } : {}) });
  if (res.status !== 201 && res.status !== 204) throw await ctx.client.error(res, "PUT", url, ctx.repository);
  await res.body?.cancel().catch(() => {});
}

/** One PATCH; a failure the session may survive is returned, not thrown. */
async function patch(ctx: RepoContext, session: Session, start: number, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<{ ok: true } | { ok: false; error: IdpError }> {
  const url = session.location;
  let res: Response;
  try {
    res = await ctx.client.request({
      method: "PATCH",
      url,
      scopes: pushScopes(ctx),
      retries: 0,
      headers: { "Content-Type": "application/octet-stream", "Content-Range": `${start}-${start + bytes.byteLength - 1}`, "Content-Length": String(bytes.byteLength) },
      body: streamOf(bytes),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof NetworkError) return { ok: false, error };
    throw error;
  }
  if (res.status === 202) {
    await res.body?.cancel().catch(() => {});
    session.location = locationOf(ctx, res, url);
    return { ok: true };
  }
  const error = await ctx.client.error(res, "PATCH", url, ctx.repository);
  if (isRetryableStatus(res.status) || res.status === 416) return { ok: false, error };
  throw error;
}

/** Bytes the registry holds for the session (`Range: 0-<last>`); undefined when it lost it. */
async function uploadOffset(ctx: RepoContext, session: Session): Promise<number | undefined> {
  let res: Response;
  try {
    res = await ctx.client.request({ method: "GET", url: session.location, scopes: pushScopes(ctx) });
  } catch (error) {
    if (error instanceof NetworkError) return undefined;
    throw error;
  }
  await res.body?.cancel().catch(() => {});
  if (res.status !== 204 && res.status !== 200) return undefined;
  session.location = locationOf(ctx, res, session.location);
  const range = /^(?:bytes=)?(\d+)-(\d+)$/.exec(res.headers.get("range") ?? "");
  if (!range) return 0;
  // "0-0" means both "nothing yet" and "one byte"; a resend from 0 is accepted either way
  // only if nothing arrived, and one byte is the rarer case, so 0 is the better guess.
  return Number(range[2]) === 0 ? 0 : Number(range[2]) + 1;
}

/** Best-effort DELETE of a session, so a failed push leaves nothing behind. */
async function cancel(ctx: RepoContext, location: URL): Promise<void> {
  try {
    const res = await ctx.client.request({ method: "DELETE", url: location, scopes: pushScopes(ctx), retries: 0 });
    await res.body?.cancel().catch(() => {});
  } catch {
    // the registry purges abandoned sessions itself; a failed cancel must not hide the real error
  }
}

function locationOf(ctx: RepoContext, res: Response, base: string | URL): URL {
  const location = res.headers.get("location");
  if (!location) throw new IdpError(`${ctx.client.endpoint.host} answered an upload request without a Location`);
  return new URL(location, ctx.client.url(base));
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url;
}

async function checkBytes(bytes: Uint8Array, desc: Descriptor, algorithm: "sha256" | "sha512"): Promise<void> {
  const digester = new Digester(algorithm);
  digester.update(bytes);
  if (bytes.byteLength !== desc.size || digester.digest() !== desc.digest) {
    throw new DigestMismatchError(`content pushed as ${desc.digest} (${desc.size} bytes) has digest ${digester.digest()} (${bytes.byteLength} bytes)`);
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

/**
 * A one-chunk stream over `bytes`: Bun's fetch sends a stream without copying the whole body
 * first (a Uint8Array body costs a copy per request, measured at ~3× the chunk in RSS).
 */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const step = 1024 * 1024;
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.subarray(at, at + step));
      at += step;
    },
  }, { highWaterMark: 0 });
}
