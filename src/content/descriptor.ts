import { InvalidReferenceError, UnsupportedError } from "../errors/index.ts";
import { parseDigest } from "../oci/digest.ts";
import { referrerArtifactType, type ManifestInfo } from "../oci/manifest.ts";
import { assertTag } from "../oci/names.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { isManifest } from "./successors.ts";

/**
 * Small rules every store shares, so that memory, layout and tar answer alike.
 */

/** The identifying fields of a descriptor: what a store keeps and `resolve` returns. */
export function plainDescriptor(desc: Descriptor): Descriptor {
  return { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
}

/**
 * The descriptor a referrers listing shows for a manifest: its identity, its artifact type
 * (`artifactType`, else an image manifest's config media type) and its annotations.
 *
 * @example referrerDescriptor(desc, parseManifest(bytes, desc.mediaType))
 */
export function referrerDescriptor(desc: Descriptor, info: ManifestInfo): Descriptor {
  const out: Descriptor = plainDescriptor(desc);
  const artifactType = referrerArtifactType(info);
  if (artifactType !== undefined) out.artifactType = artifactType;
  if (info.annotations !== undefined) out.annotations = info.annotations;
  return out;
}

/**
 * Tags point at manifests only: a store refuses to tag a plain blob.
 *
 * @example assertTaggable(desc, "v1"); // InvalidReferenceError or UnsupportedError
 */
export function assertTaggable(desc: Descriptor, reference: string): void {
  assertTag(reference);
  if (!isManifest(desc)) {
    throw new UnsupportedError(`cannot tag ${desc.digest} as ${reference}: ${desc.mediaType} is not a manifest media type`);
  }
}

/** True when `reference` is a digest rather than a tag. */
export function isDigestReference(reference: string): boolean {
  return reference.includes(":");
}

/** Checks a reference given to `resolve`: a tag or a digest. */
export function assertResolvable(reference: string): void {
  if (isDigestReference(reference)) {
    parseDigest(reference);
    return;
  }
  try {
    assertTag(reference);
  } catch (error) {
    throw new InvalidReferenceError(`invalid reference ${JSON.stringify(reference.slice(0, 80))}: neither a tag nor a digest`, {
      cause: error,
      hint: "pass a tag such as v1.2.0 or a digest such as sha256:<hex>",
    });
  }
}

/**
 * Sorted tags after `last` (the registries' `?last=` paging), as an async iterable.
 *
 * @example yield* tagsAfter(index.keys(), options.last);
 */
export async function* tagsAfter(tags: Iterable<string>, last?: string): AsyncIterable<string> {
  for (const tag of [...new Set(tags)].sort()) if (last === undefined || tag > last) yield tag;
}
