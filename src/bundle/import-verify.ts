import { isManifest } from "../content/successors.ts";
import type { ReadOnlyStorage, Resolver } from "../content/types.ts";
import { NotFoundError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { walkGraph } from "./graph.ts";

/** What checking an import found. */
export interface ImportVerification {
  manifests: number;
  blobs: number;
  /** Blobs whose bytes were read back and hashed (each digest once across repositories). */
  blobsRead: number;
  problems: string[];
}

/**
 * Checks that every root landed: its tag resolves to the bundle's digest, and everything the
 * bundle holds under it (manifests, blobs, referrers) is in the destination repository.
 * Manifests are always read back (their digest checked); with `content` each blob's bytes are
 * read back and hashed too, once per digest, and otherwise looked up.
 *
 * @example const { problems } = await verifyImported(bundle.store, tasks, { content: true });
 */
export async function verifyImported(
  bundle: ReadOnlyStorage,
  roots: readonly { reference: string; tag: string | undefined; descriptor: Descriptor; target: ReadOnlyStorage & Resolver }[],
  options: { content: boolean; signal?: AbortSignal },
): Promise<ImportVerification> {
  const out: ImportVerification = { manifests: 0, blobs: 0, blobsRead: 0, problems: [] };
  const read = new Set<string>();
  const manifests = new Set<string>();
  const blobs = new Set<string>();
  for (const root of roots) {
    if (root.tag !== undefined) {
      try {
        const at = await root.target.resolve(root.tag);
        if (at.digest !== root.descriptor.digest) out.problems.push(`${root.reference}: the tag points at ${at.digest}, not ${root.descriptor.digest}`);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        out.problems.push(`${root.reference}: the tag ${root.tag} is missing`);
      }
    }
    const expected = await walkGraph(bundle, [root.descriptor], { referrers: true, ...(options.signal ? { signal: options.signal } : {}) });
    const landed = await walkGraph(root.target, [root.descriptor], {
      referrers: false,
      readBlobs: options.content,
      skipRead: read,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // Referrers are checked as roots of their own: a registry without the referrers API lists
    // them through a tag, which is not what is being verified here.
    const referrers = expected.referrers.map((r) => r.desc);
    const more = referrers.length > 0 ? await walkGraph(root.target, referrers, { referrers: false, readBlobs: options.content, skipRead: read }) : undefined;
    for (const walk of [landed, ...(more ? [more] : [])]) {
      for (const m of walk.missing) out.problems.push(`${root.reference}: ${m.desc.digest} is missing at the destination`);
      for (const c of walk.corrupt) out.problems.push(`${root.reference}: ${c.desc.digest} does not verify at the destination: ${c.reason}`);
    }
    const reached = new Set([...landed.nodes.keys(), ...(more ? more.nodes.keys() : [])]);
    for (const digest of expected.nodes.keys()) if (!reached.has(digest)) out.problems.push(`${root.reference}: ${digest} did not reach the destination`);
    for (const desc of expected.nodes.values()) (isManifest(desc) ? manifests : blobs).add(desc.digest);
  }
  out.manifests = manifests.size;
  out.blobs = blobs.size;
  out.blobsRead = read.size;
  return out;
}
