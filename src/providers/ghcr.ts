import * as v from "valibot";
import { NotFoundError } from "../errors/index.ts";
import { hasSecret } from "../remote/auth/credentials.ts";
import type { ApiClient } from "./api.ts";
import { linkNext } from "./paging.ts";
import type { ProviderContext, RegistryProvider, RepositoryListing } from "./types.ts";

/** GitHub's REST API, where GHCR's packages are listed. */
export const GITHUB_API = "https://api.github.com";

const PackagesSchema = v.array(
  v.looseObject({
    name: v.string(),
    owner: v.looseObject({ login: v.string() }),
    updated_at: v.nullish(v.string()),
    visibility: v.nullish(v.string()),
  }),
);

const HEADERS = { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" };

/**
 * GitHub Container Registry: `ghcr.io/{owner}/{image}`, authenticated with a GitHub user and
 * a personal access token (`read:packages`; `write:packages` to push). GHCR has no catalog and
 * no search; repositories are listed through GitHub's REST API
 * (`GET /orgs/{org}/packages?package_type=container`, `/users/{user}/packages`, or the
 * token's own `/user/packages`) and searched in idp's local index.
 *
 * @example for await (const r of ghcrProvider.listRepositories(ctx)) console.log(r.name);
 */
export const ghcrProvider: RegistryProvider = {
  kind: "ghcr",
  title: "GitHub Container Registry",
  documented: {
    referrersApi: "no",
    listing: "GitHub REST API: /orgs/{org}/packages?package_type=container",
    search: "local index (built from the packages API)",
    auth: "GitHub user + personal access token (read:packages, write:packages)",
    createsRepositoryOnPush: true,
    notes: "no catalog; a push creates a package (private by default) the registry API cannot delete; referrers through the tag schema",
  },
  writeProbesByDefault: false,
  recognizesHost: (host) => host === "ghcr.io",
  recognizesAnswer: (e) => e.challenge?.realm === "https://ghcr.io/token",

  async *listRepositories(ctx, signal) {
    const api = await githubApi(ctx);
    const owners = ctx.registry.entry?.options?.namespaces ?? (ctx.registry.namespace ? [ctx.registry.namespace.split("/")[0]!] : []);
    if (owners.length === 0) {
      yield* pages(api, "/user/packages", signal);
      return;
    }
    for (const owner of owners) {
      try {
        yield* pages(api, `/orgs/${encodeURIComponent(owner)}/packages`, signal);
      } catch (error) {
        // Not an organisation: the owner is a user.
        if (!(error instanceof NotFoundError)) throw error;
        yield* pages(api, `/users/${encodeURIComponent(owner)}/packages`, signal);
      }
    }
  },
};

async function* pages(api: ApiClient, path: string, signal?: AbortSignal): AsyncIterable<RepositoryListing> {
  let url: URL | undefined = api.url(path, { package_type: "container", per_page: 100 });
  const seen = new Set<string>();
  while (url && !seen.has(url.toString())) {
    seen.add(url.toString());
    const { value, response } = await api.json({ path: url, headers: HEADERS, ...(signal ? { signal } : {}) }, PackagesSchema);
    for (const p of value) yield { name: `${p.owner.login.toLowerCase()}/${p.name.toLowerCase()}`, ...(p.updated_at ? { updated: p.updated_at } : {}) };
    url = linkNext(response, url);
  }
}

/** GitHub's API with the token (the registry password) as a bearer, when there is one. */
async function githubApi(ctx: ProviderContext): Promise<ApiClient> {
  return ctx.api(ctx.registry.entry?.options?.api ?? GITHUB_API, async () => {
    const credential = await ctx.credential();
    return hasSecret(credential) && credential.password ? `Bearer ${credential.password}` : undefined;
  });
}
