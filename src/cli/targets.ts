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
 * (a destination); registries are reached with the flags' transport options over what
 * registries.yaml says about them, and a configured registry's name may stand for its host
 * (`corp/app:v1`, see docs/registries.md).
 *
 * @example const { target, ref } = await openStore("localhost:5000/team/app:v1", flags);
 */
export async function openStore(text: string, flags: RemoteFlags, options: { create?: boolean } = {}): Promise<OpenedStore> {
  const ref = parseReference(await expandReference(text));
  return { ref, target: await openReference(ref, flags, options), label: formatReference(ref) };
}

export async function openReference(ref: Reference, flags: RemoteFlags, options: { create?: boolean } = {}): Promise<OpenedStore["target"]> {
  if (ref.kind === "layout") {
    const { LayoutStore } = await import("../content/layout/index.ts");
    return LayoutStore.open(ref.path, { create: options.create ?? false });
  }
  const { openConfiguredRepository } = await import("../registries/open.ts");
  return openConfiguredRepository(ref, await remoteOptions(flags), options);
}

/**
 * A reference with a configured registry name (or the default registry) replaced by its
 * host; other references come back unchanged.
 *
 * @example await expandReference("local/team/app:v1") // "127.0.0.1:5000/team/app:v1"
 */
export async function expandReference(text: string): Promise<string> {
  const { expandNamedReference } = await import("../registries/index.ts");
  return expandNamedReference(text);
}
