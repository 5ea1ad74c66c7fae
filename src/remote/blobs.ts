import { DigestMismatchError, IdpError, NetworkError, NotFoundError } from "../errors/index.ts";
import { Digester, digestOf, parseSupportedDigest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { backoffDelay } from "./retry/policy.ts";
import { pullScopes, repoPath, type ReadResult, type RepoContext } from "./context.ts";

/**
 * Blobs up to this size are read in one piece and hashed in one call: streamed, each chunk
 * costs a read, a hash update and a write of its own, which for 1 MiB layers cost more than
 * the bytes. Several in flight hold at most a few of these in memory.
 */
export const WHOLE_READ_MAX = 4 * 1024 * 1024;

export interface BlobFetchOptions {
  /** Start at this byte: the stream then checks the size only (the caller holds the prefix). */
  offset?: number;
  signal?: AbortSignal;
}

/**
 * Streams a blob, verifying size and digest as bytes pass. A connection that breaks or stalls
 * mid-body is resumed with `Range: bytes=<verified offset>-` (up to the retry count, counted
 * afresh whenever bytes moved), so a flaky network costs a reconnect, not the whole download.
 * A wrong size or digest errors the stream with DigestMismatchError: a consumer writing to
 * disk learns it before it commits anything.
 *
 * @example for await (const chunk of await fetchBlob(ctx, desc)) file.write(chunk);
 */
export async function fetchBlob(ctx: RepoContext, desc: Descriptor, options: BlobFetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
  const { algorithm } = parseSupportedDigest(desc.digest);
  const start = options.offset ?? 0;
  if (start < 0 || start > desc.size) throw new IdpError(`offset ${start} is outside blob ${desc.digest} of ${desc.size} bytes`);
  if (start === desc.size && start > 0) return new ReadableStream({ start: (c) => c.close() });
  const policy = ctx.client.sender.options.policy;
  if (start === 0 && desc.size <= WHOLE_READ_MAX) {
    const bytes = await readWhole(ctx, desc, policy.timeoutMs, options.signal);
    if (bytes) return oneChunk(bytes);
    // The body broke off or stalled: the streaming read below starts over and resumes.
    await Bun.sleep(backoffDelay(policy, 1));
  }
  const digester = start === 0 ? new Digester(algorithm) : undefined;
  let received = start;
  let failures = 0;
  let controller = new AbortController();
  // One watchdog per download, re-armed on every read (a timer and a race per chunk cost
  // more than the chunk): it fires only while a read waits, so a slow consumer is no stall.
  let reading = false;
  let stalled = false;
  const watchdog = setTimeout(function check() {
    if (!reading) return void watchdog.refresh();
    stalled = true;
    controller.abort();
  }, policy.timeoutMs);
  watchdog.unref();
  let reader: { read(): Promise<ReadResult> };
  try {
    reader = (await open(ctx, desc, received, controller, options.signal)).getReader();
  } catch (error) {
    clearTimeout(watchdog);
    throw error;
  }

  const resume = async (error: unknown): Promise<void> => {
    if (options.signal?.aborted) throw options.signal.reason;
    if (!(error instanceof NetworkError) || failures >= policy.retries) throw error;
    failures++;
    controller.abort();
    await Bun.sleep(backoffDelay(policy, failures));
    controller = new AbortController();
    watchdog.refresh();
    reader = (await open(ctx, desc, received, controller, options.signal)).getReader();
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(out) {
        try {
          for (;;) {
            let result: ReadResult;
            try {
              watchdog.refresh();
              reading = true;
              result = await reader.read();
            } catch (error) {
              const cause = stalled ? new NetworkError(`download of ${desc.digest} stalled`) : asNetworkError(error, desc);
              stalled = false;
              await resume(cause);
              continue;
            } finally {
              reading = false;
            }
            if (result.done) {
              if (received < desc.size) {
                await resume(new NetworkError(`download of ${desc.digest} ended at ${received} of ${desc.size} bytes`));
                continue;
              }
              clearTimeout(watchdog);
              const actual = digester?.digest();
              if (actual !== undefined && actual !== desc.digest) {
                throw new DigestMismatchError(`blob ${desc.digest} from ${ctx.repository} has digest ${actual}`);
              }
              out.close();
              return;
            }
            const chunk = result.value;
            if (received + chunk.byteLength > desc.size) {
              controller.abort();
              throw new DigestMismatchError(`blob ${desc.digest} from ${ctx.repository} is longer than its ${desc.size} bytes`);
            }
            received += chunk.byteLength;
            failures = 0;
            digester?.update(chunk);
            out.enqueue(chunk);
            return;
          }
        } catch (error) {
          clearTimeout(watchdog);
          throw error;
        }
      },
      cancel() {
        clearTimeout(watchdog);
        controller.abort();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A small blob's bytes, verified, from one GET read whole; undefined when the body broke off
 * or stalled (no bytes moved for the idle timeout, plus a second per MiB since progress
 * cannot be watched), for the caller to stream it instead. Refusals and wrong content throw.
 */
async function readWhole(ctx: RepoContext, desc: Descriptor, timeoutMs: number, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  const controller = new AbortController();
  // The request has its own timeout and retries; this deadline is the body's.
  const res = await respond(ctx, desc, 0, controller, signal);
  const timer = setTimeout(() => controller.abort(), timeoutMs + Math.ceil(desc.size / 1048576) * 1000);
  try {
    let bytes: Uint8Array;
    try {
      bytes = await res.bytes();
    } catch {
      if (signal?.aborted) throw signal.reason;
      return undefined;
    }
    if (bytes.byteLength > desc.size) throw new DigestMismatchError(`blob ${desc.digest} from ${ctx.repository} is longer than its ${desc.size} bytes`);
    if (bytes.byteLength < desc.size) return undefined;
    const actual = digestOf(bytes, parseSupportedDigest(desc.digest).algorithm);
    if (actual !== desc.digest) throw new DigestMismatchError(`blob ${desc.digest} from ${ctx.repository} has digest ${actual}`);
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

function oneChunk(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(out) {
      if (bytes.byteLength > 0) out.enqueue(bytes);
      out.close();
    },
  });
}

/** GET from `offset`; a 200 to a ranged request is skipped forward to the offset. */
async function open(ctx: RepoContext, desc: Descriptor, offset: number, controller: AbortController, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const res = await respond(ctx, desc, offset, controller, signal);
  const body = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  return res.status === 200 && offset > 0 ? skip(body, offset) : body;
}

/** The checked response to a GET of the blob from `offset` (200, or 206 at that offset). */
async function respond(ctx: RepoContext, desc: Descriptor, offset: number, controller: AbortController, signal?: AbortSignal): Promise<Response> {
  const path = repoPath(ctx, `blobs/${desc.digest}`);
  const res = await ctx.client.request({
    method: "GET",
    url: path,
    scopes: pullScopes(ctx),
    headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
    signal: signal ? AbortSignal.any([controller.signal, signal]) : controller.signal,
  });
  if (res.status === 404) {
    const cause = await ctx.client.error(res, "GET", path, ctx.repository);
    throw new NotFoundError(`blob ${desc.digest} not found in ${ctx.repository}`, { cause });
  }
  if (res.status !== 200 && res.status !== 206) throw await ctx.client.error(res, "GET", path, ctx.repository);
  const served = res.headers.get("docker-content-digest");
  if (served && served !== desc.digest) {
    await res.body?.cancel().catch(() => {});
    throw new DigestMismatchError(`registry served blob ${desc.digest} of ${ctx.repository} as ${served}`);
  }
  const length = res.headers.get("content-length");
  const expected = res.status === 206 ? desc.size - offset : desc.size;
  if (length !== null && Number(length) !== expected) {
    await res.body?.cancel().catch(() => {});
    throw new DigestMismatchError(`blob ${desc.digest} of ${ctx.repository}: registry announced ${length} bytes, expected ${expected}`);
  }
  if (res.status === 206) {
    const range = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== offset) {
      await res.body?.cancel().catch(() => {});
      throw new NetworkError(`registry answered the resume of ${desc.digest} with the wrong range`);
    }
  }
  return res;
}

/** Drops the first `count` bytes of a stream (a registry that ignored Range). */
function skip(body: ReadableStream<Uint8Array>, count: number): ReadableStream<Uint8Array> {
  let left = count;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        if (left >= chunk.byteLength) {
          left -= chunk.byteLength;
          return;
        }
        out.enqueue(left > 0 ? chunk.subarray(left) : chunk);
        left = 0;
      },
    }),
  );
}

/** Read errors from fetch bodies (resets, aborts) become NetworkError; ours pass through. */
function asNetworkError(error: unknown, desc: Descriptor): unknown {
  if (error instanceof IdpError) return error;
  return new NetworkError(`download of ${desc.digest} broke off`);
}

/** Bytes of a small blob, verified (config blobs, referrers tag indexes). */
export async function readBlob(ctx: RepoContext, desc: Descriptor, limit: number): Promise<Uint8Array> {
  if (desc.size > limit) throw new IdpError(`blob ${desc.digest} is ${desc.size} bytes, more than ${limit}`);
  return new Uint8Array(await new Response(await fetchBlob(ctx, desc)).arrayBuffer());
}
