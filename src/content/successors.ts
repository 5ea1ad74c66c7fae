import { parseManifest, type ManifestInfo } from "../oci/manifest.ts";
import { MANIFEST_MEDIA_TYPES } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { Fetcher } from "./types.ts";
import { readAll } from "./verify.ts";

/** Largest manifest idp reads into memory (the registry's default limit too). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** True when `desc` names a manifest or index (content with children), not a plain blob. */
export function isManifest(desc: Pick<Descriptor, "mediaType">): boolean {
  return MANIFEST_MEDIA_TYPES.includes(desc.mediaType);
}

/**
 * The children of a manifest whose bytes are at hand: an index's manifests, or an image
 * manifest's config then layers. The `subject` is not a child: copying a referrer does not
 * copy what it refers to (referrers are found and copied separately, from the subject side).
 *
 * @example successorsOf(desc, bytes) // [config, layer0, layer1]
 */
export function successorsOf(desc: Descriptor, bytes: Uint8Array): Descriptor[] {
  if (!isManifest(desc)) return [];
  const info = parseManifest(bytes, desc.mediaType);
  return [...info.manifests, ...info.blobs];
}

/**
 * Reads a manifest (verified, at most {@link MAX_MANIFEST_BYTES}) and parses it.
 *
 * @example const { bytes, info } = await fetchManifest(store, desc);
 */
export async function fetchManifest(fetcher: Fetcher, desc: Descriptor, maxBytes = MAX_MANIFEST_BYTES): Promise<{ bytes: Uint8Array<ArrayBuffer>; info: ManifestInfo }> {
  const bytes = await readAll(await fetcher.fetch(desc), maxBytes, `manifest ${desc.digest}`);
  return { bytes, info: parseManifest(bytes, desc.mediaType) };
}

/**
 * The children of `desc` in `fetcher` (see {@link successorsOf}); [] for plain blobs, which
 * are not read at all.
 *
 * @example for (const child of await successors(store, indexDesc)) …
 */
export async function successors(fetcher: Fetcher, desc: Descriptor): Promise<Descriptor[]> {
  if (!isManifest(desc)) return [];
  const { info } = await fetchManifest(fetcher, desc);
  return [...info.manifests, ...info.blobs];
}
