import type { RegistryStore } from "../storage/store.ts";

/** What every route handler may use. */
export interface RouteDeps {
  store: RegistryStore;
  /** Largest page of tags (`n` is clamped to it). */
  maxTagsPage: number;
  /** Largest page of the catalog; also its default size. */
  maxCatalogPage: number;
  defaultCatalogPage: number;
}
