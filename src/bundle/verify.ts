import { isManifest } from "../content/successors.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { walkGraph } from "./graph.ts";
import type { OpenedBundle } from "./open.ts";

export interface BundleVerification {
  roots: number;
  manifests: number;
  blobs: number;
  /** Bytes of every distinct manifest and blob checked. */
  bytes: number;
  /** One line per problem: missing or corrupt content, dangling references. */
  problems: string[];
}

/**
 * Checks a bundle offline: every root of index.json and everything below it and referring to
 * it is present, and every manifest and blob hashes to its digest and has its size (each one
 * read once, streamed). Problems are collected, not thrown, so one run lists them all.
 *
 * @example const { problems } = await verifyBundle(await openBundle("platform.tar"));
 */
export async function verifyBundle(bundle: OpenedBundle, options: { onBlob?: (desc: Descriptor) => void; signal?: AbortSignal } = {}): Promise<BundleVerification> {
  const roots = bundle.index.manifests.filter(isManifest);
  const walk = await walkGraph(bundle.store, roots, {
    referrers: true,
    readBlobs: true,
    // One file, read sequentially, is read fastest.
    concurrency: 2,
    ...(options.onBlob ? { onBlob: options.onBlob } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const problems: string[] = [];
  for (const m of walk.missing) problems.push(`${m.desc.digest} (${m.desc.mediaType}) is missing; ${m.parent === "index.json" ? "index.json lists it" : `${m.parent} needs it`}`);
  for (const c of walk.corrupt) problems.push(c.reason.includes(c.desc.digest) ? c.reason : `${c.desc.digest} does not verify: ${c.reason}`);
  const skipped = bundle.index.manifests.length - roots.length;
  if (skipped > 0) problems.push(`index.json lists ${skipped} entr${skipped === 1 ? "y" : "ies"} that are not manifests`);
  let manifests = 0;
  let bytes = 0;
  for (const desc of walk.nodes.values()) {
    if (isManifest(desc)) manifests++;
    bytes += desc.size;
  }
  return { roots: roots.length, manifests, blobs: walk.nodes.size - manifests, bytes, problems };
}
