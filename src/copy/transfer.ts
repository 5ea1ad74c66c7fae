import { canFetchFile, canMount, fetchesVerified, type ReadOnlyStorage, type Storage, type PushOptions } from "../content/types.ts";
import { DigestMismatchError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { passThrough } from "../util/pass-through.ts";
import { attribute, on } from "./errors.ts";
import type { CopyGraphOptions } from "./options.ts";

/**
 * Moves one blob: mounted when the destination can link it from `mountFrom`, else streamed
 * from the source's fetch into the destination's push, which verifies size and digest (so a
 * local source need not hash the bytes too: `unverified`; a remote one always does). Errors name
 * the side that failed: a read error or a source that does not verify is the source's, even
 * though the destination is the one reading the stream.
 */
export async function transferBlob(src: ReadOnlyStorage, dst: Storage, desc: Descriptor, options: CopyGraphOptions, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  await options.preCopy?.(desc);
  if (options.mountFrom !== undefined && canMount(dst)) {
    const from = options.mountFrom;
    if (await on("destination", desc, signal, () => dst.mount(desc, from))) {
      await options.onMounted?.(desc, from);
      return;
    }
  }
  // Nobody watching bytes move and the content in a file: hand the destination the file (a
  // registry upload then goes by sendfile); it verifies what it stores either way.
  const file = desc.data === undefined && !options.onProgress && canFetchFile(src) ? await on("source", desc, signal, () => src.fetchFile(desc)) : undefined;
  const body = desc.data !== undefined
    ? new Uint8Array(Buffer.from(desc.data, "base64"))
    : (file ?? (await on("source", desc, signal, () => src.fetch(desc, { signal, unverified: true }))));
  const source = { failed: false };
  const progress = (n: number) => options.onProgress?.(desc, n);
  const push: PushOptions & { reopen?: (offset: number) => Promise<ReadableStream<Uint8Array>> } = {
    signal,
    // graph.ts asked dst.exists() just before: spare the registry a second HEAD.
    knownAbsent: true,
    // A registry download is checked as it streams: a local destination need not hash it again.
    ...(body instanceof ReadableStream && fetchesVerified(src) ? { verified: true } : {}),
    // A remote destination that loses its upload session reopens the source at an offset.
    reopen: async (offset) => tap(await src.fetch(desc, { offset, signal, unverified: true }), source, offset, progress),
  };
  try {
    await dst.push(desc, body instanceof ReadableStream ? tap(body, source, 0, progress) : body, push);
  } catch (error) {
    // A destination that refuses bytes read cleanly from the source as not matching the
    // descriptor is reporting the source's content.
    const fromSource = source.failed || error instanceof DigestMismatchError;
    throw attribute(error, fromSource ? "source" : "destination", desc, signal);
  }
  if (!(body instanceof ReadableStream)) options.onProgress?.(desc, desc.size);
  await options.postCopy?.(desc);
}

/**
 * A pass-through over `stream` that counts bytes and remembers whether reading the source
 * failed (a broken connection, content that did not verify), which is how a failed push is
 * told apart from a failed read.
 */
function tap(stream: ReadableStream<Uint8Array>, source: { failed: boolean }, start: number, onBytes: (total: number) => void): ReadableStream<Uint8Array> {
  let total = start;
  return passThrough(stream, {
    chunk(chunk) {
      total += chunk.byteLength;
      onBytes(total);
    },
    error(error) {
      source.failed = true;
      return error;
    },
  });
}
