import { isManifest } from "../content/successors.ts";
import { summarize, type BundleSummary } from "./entries.ts";
import { walkGraph } from "./graph.ts";
import type { OpenedBundle } from "./open.ts";

export interface BundleInspection extends BundleSummary {
  path: string;
  /** Distinct manifests and blobs, and their total size. */
  manifests: number;
  blobs: number;
  bytes: number;
}

/**
 * What a bundle holds, from its index.json and a walk of its manifests (blobs are looked up,
 * not read): quick even for a bundle of many gigabytes.
 *
 * @example const { entries, undiscovered } = await inspectBundle(await openBundle("platform.tar"));
 */
export async function inspectBundle(bundle: OpenedBundle): Promise<BundleInspection> {
  const summary = summarize(bundle.index);
  const walk = await walkGraph(bundle.store, bundle.index.manifests.filter(isManifest), { referrers: true });
  let manifests = 0;
  let bytes = 0;
  for (const desc of walk.nodes.values()) {
    if (isManifest(desc)) manifests++;
    bytes += desc.size;
  }
  return { ...summary, path: bundle.path, manifests, blobs: walk.nodes.size - manifests, bytes };
}
