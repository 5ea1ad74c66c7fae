import { canFetchReference, type ReadOnlyTarget } from "../content/types.ts";
import { SizeLimitError } from "../errors/index.ts";
import { parseManifest } from "../oci/manifest.ts";
import { Annotation, isIndexMediaType } from "../oci/mediatypes.ts";
import { referenceTarget, type Reference } from "../oci/reference.ts";
import type { Descriptor } from "../oci/schemas.ts";

/** Largest manifest idp reads (the registries' and clients' common cap). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Resolves a reference and reads its manifest's exact bytes (verified by the store), in one
 * request where the store can.
 */
export async function fetchManifest(target: ReadOnlyTarget, ref: Reference, signal?: AbortSignal): Promise<{ descriptor: Descriptor; bytes: Uint8Array }> {
  if (canFetchReference(target)) return target.fetchReference(referenceTarget(ref), signal);
  const descriptor = await target.resolve(referenceTarget(ref));
  if (descriptor.size > MAX_MANIFEST_BYTES) throw new SizeLimitError(`manifest ${descriptor.digest} is ${descriptor.size} bytes, over the 4 MiB limit`);
  const bytes = new Uint8Array(await new Response(await target.fetch(descriptor, signal ? { signal } : {})).arrayBuffer());
  return { descriptor, bytes };
}

/** What `idp manifest inspect` shows. */
export interface ManifestDescription {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  config?: Descriptor;
  layers?: (Descriptor & { title?: string })[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export function describeManifest(descriptor: Descriptor, bytes: Uint8Array): ManifestDescription {
  const info = parseManifest(bytes, descriptor.mediaType);
  const out: ManifestDescription = { digest: descriptor.digest, mediaType: info.mediaType, size: bytes.byteLength };
  if (info.artifactType) out.artifactType = info.artifactType;
  if (isIndexMediaType(info.mediaType)) out.manifests = info.manifests;
  else {
    out.config = info.config;
    out.layers = info.blobs.slice(1).map((l) => {
      const title = l.annotations?.[Annotation.title];
      return title ? { ...l, title } : l;
    });
  }
  if (info.subject) out.subject = info.subject;
  if (info.annotations) out.annotations = info.annotations;
  return out;
}

/** The human form of a description: aligned, one fact per line. */
export function formatDescription(d: ManifestDescription): string {
  const lines = [`digest:       ${d.digest}`, `mediaType:    ${d.mediaType}`, `size:         ${d.size}`];
  if (d.artifactType) lines.push(`artifactType: ${d.artifactType}`);
  if (d.config) lines.push(`config:       ${d.config.mediaType} ${d.config.digest} (${d.config.size} bytes)`);
  if (d.layers) {
    lines.push(`layers:       ${d.layers.length}`);
    for (const l of d.layers) lines.push(`  ${l.digest} ${String(l.size).padStart(10)}  ${l.mediaType}${l.title ? `  ${l.title}` : ""}`);
  }
  if (d.manifests) {
    lines.push(`manifests:    ${d.manifests.length}`);
    for (const m of d.manifests) {
      const p = m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ""}` : "";
      lines.push(`  ${m.digest} ${String(m.size).padStart(10)}  ${m.mediaType}${p ? `  ${p}` : ""}`);
    }
  }
  if (d.subject) lines.push(`subject:      ${d.subject.digest}`);
  if (d.annotations && Object.keys(d.annotations).length) {
    lines.push("annotations:");
    for (const [k, v] of Object.entries(d.annotations)) lines.push(`  ${k}: ${v}`);
  }
  return lines.join("\n");
}
