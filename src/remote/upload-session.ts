import { DigestMismatchError, IdpError, NetworkError, RegistryResponseError } from "../errors/index.ts";
import { isRetryableStatus } from "./retry/policy.ts";
import { pushScopes, repoPath, type RepoContext } from "./context.ts";

/** Where an upload session stands, as the registry last told us. */
export interface Session {
  location: URL;
  /** `OCI-Chunk-Min-Length`: the registry wants chunks at least this big (0: no wish). */
  minChunk: number;
}

/** The registry lost the session (or its offset makes no sense): only a restart helps. */
export class SessionLost extends Error {
  override readonly cause: IdpError;
  constructor(cause: IdpError) {
    super(cause.message);
    this.cause = cause;
  }
}

/** POST: opens an upload session. */
export async function startSession(ctx: RepoContext, signal: AbortSignal | undefined): Promise<Session> {
  const path = repoPath(ctx, "blobs/uploads/");
  const res = await ctx.client.request({ method: "POST", url: path, scopes: pushScopes(ctx), headers: { "Content-Length": "0" }, ...(signal ? { signal } : {}) });
  if (res.status !== 202) throw await ctx.client.error(res, "POST", path, ctx.repository);
  await res.body?.cancel().catch(() => {});
  return { location: locationOf(ctx, res, path), minChunk: Number(res.headers.get("oci-chunk-min-length")) || 0 };
}

/**
 * One PATCH of `body` (bytes `start`… of the blob). With `ranged`, it carries Content-Range
 * (chunked uploads and resumes); without, it is the plain streamed form every registry takes.
 * A failure the session may survive (network, 5xx, 429, 416) is returned, not thrown.
 */
export async function patchSession(
  ctx: RepoContext,
  session: Session,
  start: number,
  length: number,
  body: ReadableStream<Uint8Array> | Blob,
  ranged: boolean,
  signal: AbortSignal | undefined,
): Promise<{ ok: true } | { ok: false; error: IdpError }> {
  const url = session.location;
  const headers: Record<string, string> = { "Content-Type": "application/octet-stream", "Content-Length": String(length) };
  if (ranged) headers["Content-Range"] = `${start}-${start + length - 1}`;
  let res: Response;
  try {
    res = await ctx.client.request({ method: "PATCH", url, scopes: pushScopes(ctx), retries: 0, headers, body, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof NetworkError) return { ok: false, error };
    throw error;
  }
  if (res.status === 202 || res.status === 204) {
    await res.body?.cancel().catch(() => {});
    session.location = locationOf(ctx, res, url);
    return { ok: true };
  }
  const error = await ctx.client.error(res, "PATCH", url, ctx.repository);
  if (isRetryableStatus(res.status) || res.status === 416) return { ok: false, error };
  throw error;
}

/** Bytes the registry holds for the session (`Range: 0-<last>`); undefined when it lost it. */
export async function sessionOffset(ctx: RepoContext, session: Session): Promise<number | undefined> {
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

/** The closing PUT `?digest=` with no body. */
export async function closeSession(ctx: RepoContext, session: Session, digest: string, signal: AbortSignal | undefined): Promise<void> {
  const url = withDigest(session.location, digest);
  const res = await ctx.client.request({ method: "PUT", url, scopes: pushScopes(ctx), headers: { "Content-Length": "0" }, ...(signal ? { signal } : {}) });
  if (res.status !== 201 && res.status !== 204) throw digestRefusal(await ctx.client.error(res, "PUT", url, ctx.repository), digest);
  await res.body?.cancel().catch(() => {});
}

/**
 * The registry's own check of what was uploaded (`DIGEST_INVALID` at the closing PUT) as a
 * DigestMismatchError: the client does not hash what it uploads a second time, since every
 * source verifies what it reads and the registry hashes what it receives.
 */
export function digestRefusal(error: IdpError, digest: string): IdpError {
  if (!(error instanceof RegistryResponseError) || !error.codes.includes("DIGEST_INVALID")) return error;
  return new DigestMismatchError(`the registry refused the bytes sent as ${digest}: they do not match that digest`, { cause: error, ...(error.hint ? { hint: error.hint } : {}) });
}

/** Best-effort DELETE of a session, so a failed push leaves nothing behind. */
export async function cancelSession(ctx: RepoContext, location: URL): Promise<void> {
  try {
    const res = await ctx.client.request({ method: "DELETE", url: location, scopes: pushScopes(ctx), retries: 0 });
    await res.body?.cancel().catch(() => {});
  } catch {
    // the registry purges abandoned sessions itself; a failed cancel must not hide the real error
  }
}

export function locationOf(ctx: RepoContext, res: Response, base: string | URL): URL {
  const location = res.headers.get("location");
  if (!location) throw new IdpError(`${ctx.client.endpoint.host} answered an upload request without a Location`);
  return new URL(location, ctx.client.url(base));
}

export function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url;
}

/**
 * A stream over `bytes` in 1 MiB pieces: Bun's fetch sends a stream without first copying the
 * whole body (a Uint8Array body costs extra copies, measured in RSS on Bun 1.4.5).
 */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const step = 1024 * 1024;
  let at = 0;
  return new ReadableStream(
    {
      pull(controller) {
        if (at >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.subarray(at, at + step));
        at += step;
      },
    },
    { highWaterMark: 0 },
  );
}
