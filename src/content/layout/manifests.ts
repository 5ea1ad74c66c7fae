import type { ManifestInfo } from "../../oci/manifest.ts";
import { MediaType } from "../../oci/mediatypes.ts";
import type { Descriptor } from "../../oci/schemas.ts";
import { isManifest } from "../successors.ts";

/**
 * Manifests whose `subject` is `subject`, among every manifest reachable from `roots` (the
 * entries of index.json and, through indexes, their children). Layouts have no referrers
 * index, so they are found by reading manifests; `info` caches by digest.
 *
 * @example await findReferrers(index.manifests, image.digest, (d) => store.info(d))
 */
export async function findReferrers(
  roots: readonly Descriptor[],
  subject: string,
  info: (desc: Descriptor) => Promise<ManifestInfo | null>,
): Promise<{ desc: Descriptor; info: ManifestInfo }[]> {
  const seen = new Set<string>();
  const found: { desc: Descriptor; info: ManifestInfo }[] = [];
  const queue = roots.filter(isManifest);
  while (queue.length > 0) {
    const desc = queue.shift()!;
    if (seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    const parsed = await info(desc);
    if (!parsed) continue;
    if (parsed.subject?.digest === subject) found.push({ desc, info: parsed });
    queue.push(...parsed.manifests.filter(isManifest));
  }
  return found;
}

/**
 * The media type of manifest bytes found by digest alone: the document's `mediaType`, else an
 * OCI index when it lists `manifests`, an OCI manifest when it has `config`; undefined when the
 * bytes are not a manifest.
 */
export function guessManifestType(bytes: Uint8Array): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const body = doc as Record<string, unknown>;
  if (body.schemaVersion !== 2) return undefined;
  if (typeof body.mediaType === "string") return isManifest({ mediaType: body.mediaType }) ? body.mediaType : undefined;
  if (Array.isArray(body.manifests)) return MediaType.ociIndex;
  if (typeof body.config === "object" && body.config !== null) return MediaType.ociManifest;
  return undefined;
}

