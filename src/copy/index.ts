import { isDigestReference } from "../content/descriptor.ts";
import { InvalidReferenceError } from "../errors/index.ts";
import { canFetchReference, type ReadOnlyStorage, type ReadOnlyTarget, type Storage, type Target } from "../content/types.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { on } from "./errors.ts";
import { GraphCopy } from "./graph.ts";
import type { CopyGraphOptions, CopyOptions } from "./options.ts";

export type { CopyGraphOptions, CopyHooks, CopyOptions } from "./options.ts";
export { DEFAULT_CONCURRENCY } from "./options.ts";

/**
 * Copies the graph under `root` (index → manifests → config and layers) from `src` to
 * `dst`: children before parents, skipping what `dst` has (a manifest it has is taken as
 * complete, with everything below it), mounting blobs when `options.mountFrom` is set and the
 * destination can mount, at most `options.concurrency` transfers at once, referrers too when
 * `options.referrers`. Every byte is verified: the source's fetch and the destination's push
 * both check size and digest. Fails with CopyError saying which side failed.
 *
 * @example
 * await copyGraph(layout, registry, desc, { concurrency: 8, onSkipped: (d) => log(`exists ${d.digest}`) });
 */
export async function copyGraph(src: ReadOnlyStorage, dst: Storage, root: Descriptor, options: CopyGraphOptions = {}): Promise<void> {
  await new GraphCopy(src, dst, options).run(root);
}

/**
 * A copy whose root is not known yet when it starts (a push whose files are still being
 * hashed): blobs are handed over as they become known (`start`, under the same concurrency
 * limit), and `finish(root, tag)` copies the rest, the root last, and tags it. `abort` stops
 * what is under way when the caller gives up before finishing.
 *
 * @example
 * const upload = startCopy(staged, remote, hooks);
 * for (const layer of layers) upload.start(layer);
 * await upload.finish(manifest, "v1");
 */
export function startCopy(src: ReadOnlyStorage, dst: Target, options: CopyGraphOptions = {}): { start(desc: Descriptor): void; abort(reason: unknown): void; finish(root: Descriptor, tag: string): Promise<void> } {
  const graph = new GraphCopy(src, dst, options);
  return {
    start: (desc) => graph.start(desc),
    abort: (reason) => graph.abort(reason),
    async finish(root, tag) {
      await graph.run(root, tag === "" ? undefined : tag);
      if (tag !== "" && !graph.rootTagged) await on("destination", root, options.signal, () => dst.tag(root, tag));
    },
  };
}

/**
 * Resolves `srcRef` (a tag or digest) in `src`, copies its graph to `dst` (see copyGraph) and
 * tags it `dstRef` there. `dstRef` defaults to `srcRef` when that is a tag; a digest (or an
 * empty string) copies without tagging. Returns the root's descriptor.
 *
 * @example
 * const desc = await copy(await openRepository(…), "v1", await LayoutStore.open("out"), "v1", { referrers: true });
 */
export async function copy(src: ReadOnlyTarget, srcRef: string, dst: Target, dstRef?: string, options: CopyOptions = {}): Promise<Descriptor> {
  const read = options.readRoot && canFetchReference(src) ? await src.fetchReference(srcRef, options.signal) : undefined;
  const root = read?.descriptor ?? (await src.resolve(srcRef));
  const tag = dstRef ?? (isDigestReference(srcRef) ? "" : srcRef);
  if (isDigestReference(tag) && tag !== root.digest) {
    throw new InvalidReferenceError(`cannot copy ${srcRef} to ${tag}: it resolves to ${root.digest}`, { hint: "give a tag, or the digest the source resolves to" });
  }
  const wantsTag = tag !== "" && !isDigestReference(tag);
  const graph = new GraphCopy(src, dst, options, wantsTag ? { digest: root.digest, tag } : undefined, read?.bytes);
  await graph.run(root);
  if (wantsTag && !graph.rootTagged) await on("destination", root, options.signal, () => dst.tag(root, tag));
  return root;
}
