import { NotFoundError, UnsupportedError } from "../errors/index.ts";
import type { ProviderContext, RegistryProvider, RepositoryListing } from "./types.ts";

/**
 * Any OCI registry (CNCF Distribution, zot, `idp serve`, Quay, Artifactory, …): repositories
 * come from `/v2/_catalog`, search from idp's local index, and everything else is the OCI
 * API with its standard fallbacks (referrers tag schema when the referrers API is missing).
 *
 * @example for await (const repo of genericProvider.listRepositories(ctx)) console.log(repo.name);
 */
export const genericProvider: RegistryProvider = {
  kind: "generic",
  title: "OCI registry",
  documented: {
    referrersApi: "varies",
    listing: "/v2/_catalog",
    search: "local index (idp index refresh)",
    auth: "Docker token flow or Basic; idp login, Docker config, env, credential helpers",
    createsRepositoryOnPush: true,
    notes: "referrers fall back to the tag schema when the API answers 404",
  },
  writeProbesByDefault: true,
  recognizesHost: () => false,
  listRepositories: catalogRepositories,
};

/**
 * Repositories from the OCI catalog endpoint; UnsupportedError when the registry has none.
 *
 * @example for await (const r of catalogRepositories(ctx)) names.push(r.name);
 */
export async function* catalogRepositories(ctx: ProviderContext, signal?: AbortSignal): AsyncIterable<RepositoryListing> {
  const registry = await ctx.openRegistry();
  try {
    for await (const name of registry.catalog({ pageSize: 1000, ...(signal ? { signal } : {}) })) yield { name };
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new UnsupportedError(`${ctx.registry.host} has no catalog (/v2/_catalog answered 404)`, {
        cause: error,
        hint: "search needs a list of repositories: set the provider if it has its own listing API (idp registry add … --provider)",
      });
    }
    throw error;
  }
}
