import type { Access } from "../auth/access.ts";
import type { RequestKind } from "../middleware/classify.ts";
import type { RegistryStore } from "../storage/store.ts";

/**
 * The Hono environment of the registry app: Bun's server as bindings (for the client
 * address) and what the middleware found out about the request.
 */
export interface RegistryEnv {
  Bindings: { requestIP?: (request: Request) => { address: string } | null };
  Variables: {
    /** What this client may do (everything when authentication is off). */
    access: Access;
    kind: RequestKind;
  };
}

/** What every route handler may use. */
export interface RouteDeps {
  store: RegistryStore;
  /** Largest page of tags (`n` is clamped to it). */
  maxTagsPage: number;
  /** Largest page of the catalog; also its default size. */
  maxCatalogPage: number;
  defaultCatalogPage: number;
}
