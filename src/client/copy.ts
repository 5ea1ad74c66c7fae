import { copy } from "../copy/index.ts";
import type { Target } from "../content/types.ts";
import { InvalidReferenceError } from "../errors/index.ts";
import { referenceTarget, type Reference } from "../oci/reference.ts";
import { observingHooks, type TransferCounts, type TransferObserver } from "./observe.ts";

export interface Endpoint {
  ref: Reference;
  target: Target;
  label: string;
}

/**
 * `idp copy`: resolves the source reference, copies its graph and tags it at the
 * destination (the destination's tag, else the source's). Blobs are mounted instead of
 * moved when both ends are repositories of the same registry.
 */
export async function runCopy(
  src: Endpoint,
  dst: Endpoint,
  options: { referrers?: boolean; concurrency?: number | undefined; observer?: TransferObserver; signal?: AbortSignal } = {},
): Promise<{ digest: string } & TransferCounts> {
  if (dst.ref.digest && !dst.ref.tag && src.ref.digest && dst.ref.digest !== src.ref.digest) {
    throw new InvalidReferenceError(`destination digest ${dst.ref.digest} differs from the source's ${src.ref.digest}`);
  }
  const dstTag = dst.ref.tag ?? (dst.ref.digest ? "" : (src.ref.tag ?? (src.ref.digest ? "" : "latest")));
  const sameRegistry = src.ref.kind === "registry" && dst.ref.kind === "registry" && src.ref.registry === dst.ref.registry && src.ref.repository !== dst.ref.repository;
  const { hooks, counts } = observingHooks(options.observer);
  const root = await copy(src.target, referenceTarget(src.ref), dst.target, dstTag, {
    ...hooks,
    referrers: options.referrers ?? false,
    // The root is needed unless the destination has it: one GET instead of HEAD and GET.
    readRoot: true,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(sameRegistry && src.ref.kind === "registry" ? { mountFrom: src.ref.repository } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (dst.ref.digest && dst.ref.digest !== root.digest) {
    throw new InvalidReferenceError(`${src.label} is ${root.digest}, not the destination's ${dst.ref.digest}`);
  }
  return { digest: root.digest, ...counts };
}
