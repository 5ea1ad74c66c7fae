import type { Deleter, Mounter, ReferrerLister, TagLister, Target } from "../content/types.ts";
import { formatReference, parseReference, type Reference } from "../oci/reference.ts";
import { remoteOptions, type RemoteFlags } from "./common.ts";

/** A store opened from what the user typed: a registry repository or an OCI layout dir. */
export interface OpenedStore {
  ref: Reference;
  target: Target & Partial<TagLister & ReferrerLister & Deleter & Mounter>;
  /** The reference as idp writes it, for messages. */
  label: string;
}

/**
 * Opens the store a reference names. Layout directories are created only when `create`
 * (a destination); registries are reached with the flags' transport options.
 *
 * @example const { target, ref } = await openStore("localhost:5000/team/app:v1", flags);
 */
export async function openStore(text: string, flags: RemoteFlags, options: { create?: boolean } = {}): Promise<OpenedStore> {
  const ref = parseReference(text);
  return { ref, target: await openReference(ref, flags, options), label: formatReference(ref) };
}

export async function openReference(ref: Reference, flags: RemoteFlags, options: { create?: boolean } = {}): Promise<OpenedStore["target"]> {
  if (ref.kind === "layout") {
    const { LayoutStore } = await import("../content/layout/index.ts");
    return LayoutStore.open(ref.path, { create: options.create ?? false });
  }
  const { openRepository } = await import("../remote/index.ts");
  return openRepository(ref, await remoteOptions(flags));
}
