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
  const expanded = await expandReference(text);
  const ref = parseReference(expanded.text);
  return { ref, target: await openReference(ref, flags, { ...options, ...(expanded.registry ? { registry: expanded.registry } : {}) }), label: formatReference(ref) };
}

/** Opens a parsed reference; `registry` is the configured name it was written with, if any. */
export async function openReference(ref: Reference, flags: RemoteFlags, options: { create?: boolean; registry?: string } = {}): Promise<OpenedStore["target"]> {
  if (ref.kind === "layout") {
    const { LayoutStore } = await import("../content/layout/index.ts");
    return LayoutStore.open(ref.path, { create: options.create ?? false });
  }
  const { openConfiguredRepository } = await import("../registries/open.ts");
  return openConfiguredRepository(ref, await remoteOptions(flags), options);
}

/**
 * A reference with a configured registry name (or the default registry) replaced by its
 * host, and that registry's name (so that its own settings apply even when two names share
 * a host); other references come back unchanged.
 *
 * @example await expandReference("local/team/app:v1") // { text: "127.0.0.1:5000/team/app:v1", registry: "local" }
 */
export async function expandReference(text: string): Promise<{ text: string; registry?: string }> {
  const { expandNamedReference } = await import("../registries/lookup.ts");
  return expandNamedReference(text);
}
