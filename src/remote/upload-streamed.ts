import { DigestMismatchError, type IdpError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { RepoContext } from "./context.ts";
import { SessionLost, closeSession, patchSession, sessionOffset, type Session } from "./upload-session.ts";

/**
 * One streamed PATCH with the whole blob (Content-Length, no Content-Range): the fastest form
 * and the one every registry takes. It needs a source that can be reopened at an offset: when
 * the PATCH breaks, the session's offset is asked for (`GET <location>`) and a ranged PATCH
 * continues from there with `reopen(offset)`. The size is checked as bytes pass; the digest
 * is the registry's to check at the closing PUT (the source verified what it read).
 */
export async function uploadStreamed(
  ctx: RepoContext,
  desc: Descriptor,
  first: ReadableStream<Uint8Array>,
  reopen: (offset: number) => Promise<ReadableStream<Uint8Array>>,
  session: Session,
  options: { signal?: AbortSignal; onProgress?: (bytes: number) => void },
): Promise<void> {
  let offset = 0;
  let stream = first;
  let failures = 0;
  for (;;) {
    const start = offset;
    let passed = 0;
    let sourceError: IdpError | undefined;
    const fail = (error: IdpError) => {
      sourceError = error;
      return error;
    };
    const body = stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          const at = start + passed;
          if (at + chunk.byteLength > desc.size) throw fail(new DigestMismatchError(`content pushed as ${desc.digest} is longer than ${desc.size} bytes`));
          passed += chunk.byteLength;
          out.enqueue(chunk);
          options.onProgress?.(start + passed);
        },
        flush() {
          if (start + passed !== desc.size) throw fail(new DigestMismatchError(`content pushed as ${desc.digest} ended at ${start + passed} of ${desc.size} bytes`));
        },
      }),
    );
    const result = await patchSession(ctx, session, start, desc.size - start, body, start > 0, options.signal).catch((error: unknown) => {
      if (sourceError) throw sourceError;
      throw error;
    });
    if (sourceError) throw sourceError;
    if (result.ok) break;
    if (passed > 0) failures = 0;
    failures++;
    if (failures > ctx.client.sender.options.policy.retries) throw new SessionLost(result.error);
    const at = await sessionOffset(ctx, session);
    if (at === undefined || at < start || at > start + passed) throw new SessionLost(result.error);
    offset = at;
    stream = await reopen(at);
  }
  await closeSession(ctx, session, desc.digest, options.signal);
}

/**
 * A file's whole content as one PATCH (the body a Blob, which fetch sends with sendfile),
 * resumed from the registry's offset with a slice of the file when the PATCH breaks.
 */
export async function uploadWhole(ctx: RepoContext, desc: Descriptor, file: Blob, session: Session, options: { signal?: AbortSignal }): Promise<void> {
  let start = 0;
  let failures = 0;
  for (;;) {
    const result = await patchSession(ctx, session, start, desc.size - start, start === 0 ? file : file.slice(start, desc.size), start > 0, options.signal);
    if (result.ok) break;
    failures++;
    if (failures > ctx.client.sender.options.policy.retries) throw new SessionLost(result.error);
    const at = await sessionOffset(ctx, session);
    if (at === undefined || at < start || at > desc.size) throw new SessionLost(result.error);
    if (at > start) failures = 0;
    start = at;
  }
  await closeSession(ctx, session, desc.digest, options.signal);
}
