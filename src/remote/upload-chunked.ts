import { DigestMismatchError } from "../errors/index.ts";
import type { Digester } from "../oci/digest.ts";
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
  digester: Digester,
  options: { signal?: AbortSignal; onProgress?: (bytes: number) => void },
): Promise<void> {
  let offset = 0;
  // The next chunk is read and hashed while the current one is on the wire (fetch sends from
  // its own thread), which is where pipelining pays on a machine with few cores.
  const read = () => {
    const promise = source.next(chunkSize).then((chunk) => {
      digester.update(chunk);
      return chunk;
    });
    promise.catch(() => {});
    return promise;
  };
  let upcoming: Promise<Uint8Array> | undefined = read();
  while (offset < desc.size) {
    const chunk: Uint8Array = await upcoming!;
    upcoming = offset + chunk.byteLength < desc.size ? read() : undefined;
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
  const actual = digester.digest();
  if (actual !== desc.digest || digester.size !== desc.size) {
    throw new DigestMismatchError(`content pushed as ${desc.digest} has digest ${actual} (${digester.size} bytes)`);
  }
  await closeSession(ctx, session, desc.digest, options.signal);
}
