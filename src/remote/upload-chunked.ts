import { DigestMismatchError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { ChunkSource } from "./chunks.ts";
import type { RepoContext } from "./context.ts";
import { SessionLost, closeSession, patchSession, sessionOffset, streamOf, type Session } from "./upload-session.ts";

/**
 * PATCH chunks with Content-Range, one chunk in memory (two while the next is read ahead):
 * used when the registry asks for chunks (`OCI-Chunk-Min-Length`) or the source cannot be
 * reopened, because then the chunk in flight is all that can be resent. A failed chunk is
 * resent from the session's offset (`GET <location>`), not from the start of the blob.
 */
export async function uploadChunked(
  ctx: RepoContext,
  desc: Descriptor,
  source: ChunkSource,
  session: Session,
  chunkSize: number,
  options: { signal?: AbortSignal; onProgress?: (bytes: number) => void },
): Promise<void> {
  let offset = 0;
  // The next chunk is read while the current one is on the wire (fetch sends from its own
  // thread), which is where pipelining pays on a machine with few cores.
  let read = 0;
  const next = () => {
    const promise = source.next(chunkSize).then((chunk) => {
      read += chunk.byteLength;
      return chunk;
    });
    promise.catch(() => {});
    return promise;
  };
  let upcoming: Promise<Uint8Array> | undefined = next();
  while (offset < desc.size) {
    const chunk: Uint8Array = await upcoming!;
    upcoming = offset + chunk.byteLength < desc.size ? next() : undefined;
    let sent = 0;
    let failures = 0;
    while (sent < chunk.byteLength) {
      const part = chunk.subarray(sent);
      const result = await patchSession(ctx, session, offset + sent, part.byteLength, streamOf(part), true, options.signal);
      if (result.ok) break;
      failures++;
      if (failures > ctx.client.sender.options.policy.retries) throw new SessionLost(result.error);
      const at = await sessionOffset(ctx, session);
      if (at === undefined || at < offset || at > offset + chunk.byteLength) throw new SessionLost(result.error);
      sent = at - offset;
    }
    offset += chunk.byteLength;
    options.onProgress?.(offset);
  }
  // The digest is the registry's to check at the closing PUT (the source verified its bytes).
  if (read !== desc.size) throw new DigestMismatchError(`content pushed as ${desc.digest} is ${read} bytes, not ${desc.size}`);
  await closeSession(ctx, session, desc.digest, options.signal);
}
