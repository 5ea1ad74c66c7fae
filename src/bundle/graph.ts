import { fetchManifest, isManifest } from "../content/successors.ts";
import { canListReferrers, type ReadOnlyStorage } from "../content/types.ts";
import { limiter } from "../copy/limit.ts";
import { DigestMismatchError, InvalidInputError, NotFoundError } from "../errors/index.ts";
import { isNondistributable } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";

/** What walking a store's graph found. */
export interface GraphWalk {
  /** Every descriptor reached (manifests, configs, layers, referrers), by digest. */
  nodes: Map<string, Descriptor>;
  /** Referrer manifests reached, with the digest of their subject. */
  referrers: { desc: Descriptor; subject: string }[];
  /** Content a manifest names that the store does not hold, with who names it. */
  missing: { desc: Descriptor; parent: string }[];
  /** Content that is there but does not verify (digest, size or manifest syntax). */
  corrupt: { desc: Descriptor; reason: string }[];
}

export interface WalkOptions {
  /** Follow referrers of every manifest (the store must list them). Default true. */
  referrers?: boolean;
  /** Read every blob through and check its digest; otherwise blobs are only looked up. Default false. */
  readBlobs?: boolean;
  /** Digests read already (by an earlier walk): only looked up. Blobs read are added. */
  skipRead?: Set<string>;
  concurrency?: number;
  /** Each blob as it is checked, for progress. */
  onBlob?: (desc: Descriptor) => void;
  signal?: AbortSignal;
}

/**
 * Walks the descriptor graph under `roots` in `store`: manifests are read and verified (their
 * children and referrers followed), blobs looked up or, with `readBlobs`, streamed through the
 * store's verifying fetch. Problems are collected rather than thrown, so one pass reports all
 * of them; non-distributable layers may be absent. What `bundle create` uses to pick the
 * blobs of the tar, `bundle verify` to check one offline, and `bundle import` to check the
 * registry afterwards.
 *
 * @example const { missing, corrupt } = await walkGraph(tarStore, roots, { readBlobs: true });
 */
export async function walkGraph(store: ReadOnlyStorage, roots: readonly Descriptor[], options: WalkOptions = {}): Promise<GraphWalk> {
  const out: GraphWalk = { nodes: new Map(), referrers: [], missing: [], corrupt: [] };
  const limit = limiter(options.concurrency ?? 4);
  const followReferrers = (options.referrers ?? true) && canListReferrers(store);

  const visit = async (desc: Descriptor, parent: string): Promise<void> => {
    if (out.nodes.has(desc.digest)) return;
    out.nodes.set(desc.digest, desc);
    options.signal?.throwIfAborted();
    if (!isManifest(desc)) {
      await limit(() => checkBlob(store, desc, parent, out, options));
      return;
    }
    let children: Descriptor[];
    try {
      const { info } = await limit(() => fetchManifest(store, desc));
      children = [...info.manifests, ...info.blobs];
    } catch (error) {
      record(error, desc, parent, out);
      return;
    }
    const referrers = followReferrers && canListReferrers(store) ? await limit(() => store.referrers(desc)) : [];
    for (const r of referrers) if (!out.nodes.has(r.digest)) out.referrers.push({ desc: r, subject: desc.digest });
    await Promise.all([...children.map((c) => visit(c, desc.digest)), ...referrers.filter(isManifest).map((r) => visit(r, desc.digest))]);
  };
  await Promise.all(roots.map((r) => visit(r, "index.json")));
  return out;
}

async function checkBlob(store: ReadOnlyStorage, desc: Descriptor, parent: string, out: GraphWalk, options: WalkOptions): Promise<void> {
  try {
    if (!options.readBlobs || options.skipRead?.has(desc.digest)) {
      if (!(await store.exists(desc)) && !isNondistributable(desc.mediaType)) out.missing.push({ desc, parent });
      return;
    }
    const stream = await store.fetch(desc, options.signal ? { signal: options.signal } : {});
    for await (const _ of stream) options.signal?.throwIfAborted();
    options.skipRead?.add(desc.digest);
    options.onBlob?.(desc);
  } catch (error) {
    if (error instanceof NotFoundError && isNondistributable(desc.mediaType)) return;
    record(error, desc, parent, out);
  }
}

function record(error: unknown, desc: Descriptor, parent: string, out: GraphWalk): void {
  if (error instanceof NotFoundError) out.missing.push({ desc, parent });
  else if (error instanceof DigestMismatchError || error instanceof InvalidInputError) out.corrupt.push({ desc, reason: error.message });
  else throw error;
}
