import { statSync } from "node:fs";
import { LayoutStore } from "../content/layout/index.ts";
import { TarStore } from "../content/tar/index.ts";
import type { ReadOnlyTarget, ReferrerLister, TagLister } from "../content/types.ts";
import { NotFoundError } from "../errors/index.ts";
import type { ImageIndex } from "../oci/schemas.ts";

/** A bundle opened for reading: its store and its index.json. */
export interface OpenedBundle {
  path: string;
  store: ReadOnlyTarget & ReferrerLister & TagLister;
  index: ImageIndex;
}

/**
 * Opens a bundle: a tar holding an OCI image layout (what `bundle create` and `skopeo copy …
 * oci-archive:` write), or a layout directory (what `skopeo copy … oci:` and `oras copy
 * --to-oci-layout` write). Nothing is extracted and nothing is written.
 *
 * @example const { store, index } = await openBundle("platform.tar");
 */
export async function openBundle(path: string): Promise<OpenedBundle> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new NotFoundError(`${path} does not exist`, { hint: "give the path of a bundle tar or an OCI image layout directory" });
  }
  if (isDirectory) {
    const store = await LayoutStore.open(path, { create: false });
    return { path, store, index: await store.index() };
  }
  const store = await TarStore.open(path);
  return { path, store, index: store.index() };
}
