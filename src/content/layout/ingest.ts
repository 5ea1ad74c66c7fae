import { DigestMismatchError, SizeLimitError } from "../../errors/index.ts";
import { parseSupportedDigest } from "../../oci/digest.ts";
import { parseManifest, type ManifestInfo } from "../../oci/manifest.ts";
import type { Descriptor } from "../../oci/schemas.ts";
import { MAX_MANIFEST_BYTES, isManifest } from "../successors.ts";
import type { Body, PushOptions } from "../types.ts";
import { toStream, verifier } from "../verify.ts";
import { TempFile, type WritePolicy } from "./files.ts";

/**
 * Writes `body` as the blob of `desc` at `target` (under `root`), the way every on-disk store
 * does: streamed into a temporary file through a verifier (only counted when
 * `options.verified`: its source checks it and errors before it ends), a manifest also parsed (and
 * refused when invalid or over 4 MiB), and renamed into place only when complete, verified
 * and synced. `exists` short-circuits content already there. Returns the parsed manifest,
 * if `desc` is one and it was written.
 *
 * @example const info = await ingestBlob(layout.path, layout.blobPath(d.digest), d, body, {}, () => layout.exists(d));
 */
export async function ingestBlob(
  root: string,
  target: string,
  desc: Descriptor,
  body: Body,
  options: PushOptions,
  exists: () => Promise<boolean>,
  commit: WritePolicy = {},
): Promise<ManifestInfo | undefined> {
  parseSupportedDigest(desc.digest);
  const stream = toStream(body);
  if (await exists()) {
    await stream.cancel().catch(() => {});
    return undefined;
  }
  const manifest = isManifest(desc);
  if (manifest && desc.size > MAX_MANIFEST_BYTES) {
    await stream.cancel().catch(() => {});
    throw new SizeLimitError(`manifest ${desc.digest} is ${desc.size} bytes; the limit is ${MAX_MANIFEST_BYTES}`);
  }
  const file = await TempFile.create(root);
  try {
    const kept: Uint8Array[] = [];
    let written = 0;
    // A body its source verifies (options.verified) is only counted; a manifest is hashed
    // anyway (it is small, and parsed below).
    const checked = options.verified && !manifest ? stream : stream.pipeThrough(verifier(desc));
    for await (const chunk of checked) {
      options.signal?.throwIfAborted();
      if (written + chunk.byteLength > desc.size) throw new DigestMismatchError(`${desc.digest}: more than ${desc.size} bytes arrived`);
      file.write(chunk);
      if (manifest) kept.push(chunk);
      written += chunk.byteLength;
      options.onProgress?.(written);
    }
    if (written !== desc.size) throw new DigestMismatchError(`${desc.digest}: ${written} of ${desc.size} bytes arrived`);
    const info = manifest ? parseManifest(Buffer.concat(kept, written), desc.mediaType) : undefined;
    await file.commit(target, commit);
    return info;
  } finally {
    await file.discard();
  }
}
