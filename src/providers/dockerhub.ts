import * as v from "valibot";
import { hasSecret } from "../remote/auth/credentials.ts";
import type { ApiClient } from "./api.ts";
import type { ProviderContext, RegistryProvider, RepositoryListing } from "./types.ts";

/** Docker Hub's web API (repositories, search, tokens); the registry itself is registry-1.docker.io. */
export const DOCKER_HUB_API = "https://hub.docker.com";

const HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

const TokenSchema = v.looseObject({ access_token: v.string() });

const RepositoryPageSchema = v.looseObject({
  next: v.nullish(v.string()),
  results: v.array(
    v.looseObject({
      name: v.string(),
      namespace: v.optional(v.string()),
      description: v.nullish(v.string()),
      last_updated: v.nullish(v.string()),
      pull_count: v.nullish(v.number()),
      star_count: v.nullish(v.number()),
    }),
  ),
});

const SearchPageSchema = v.looseObject({
  results: v.array(
    v.looseObject({
      repo_name: v.string(),
      short_description: v.nullish(v.string()),
      pull_count: v.nullish(v.number()),
      star_count: v.nullish(v.number()),
    }),
  ),
});

/**
 * Docker Hub: repositories listed per namespace by the Hub API
 * (`GET /v2/namespaces/{namespace}/repositories`), search by `GET /v2/search/repositories`,
 * both authenticated with a Hub access token from `POST /v2/auth/token` when credentials
 * exist. One-component names get `library/`. The registry rate-limits pulls; `idp registry
 * test` shows the `ratelimit-*` headers it reports.
 *
 * @example await dockerHubProvider.search!(ctx, "nginx")
 */
export const dockerHubProvider: RegistryProvider = {
  kind: "dockerhub",
  title: "Docker Hub",
  documented: {
    referrersApi: "varies",
    listing: "Hub API: /v2/namespaces/{namespace}/repositories",
    search: "Hub search API",
    auth: "username + personal access token (idp login docker.io); Hub API token from /v2/auth/token",
    createsRepositoryOnPush: true,
    notes: "library/ for one-component names; pull rate limits; referrers tag schema where the API is missing",
  },
  defaultNamespace: "library",
  writeProbesByDefault: false,
  recognizesHost: (host) => HUB_HOSTS.has(host),
  recognizesAnswer: (e) => e.challenge?.realm !== undefined && hostOf(e.challenge.realm) === "auth.docker.io",

  async *listRepositories(ctx, signal) {
    const api = await hubApi(ctx);
    for (const namespace of await namespacesOf(ctx)) {
      let next: string | URL | undefined = `/v2/namespaces/${encodeURIComponent(namespace)}/repositories?page_size=100`;
      const seen = new Set<string>();
      while (next !== undefined && !seen.has(String(next))) {
        seen.add(String(next));
        const page: v.InferOutput<typeof RepositoryPageSchema> = (await api.json({ path: next, ...(signal ? { signal } : {}) }, RepositoryPageSchema)).value;
        for (const r of page.results) yield listing(`${r.namespace ?? namespace}/${r.name}`, r.description, r.last_updated, r.pull_count, r.star_count);
        next = page.next ?? undefined;
      }
    }
  },

  async search(ctx, term, signal) {
    const api = await hubApi(ctx);
    const { value } = await api.json({ path: "/v2/search/repositories/", query: { query: term, page_size: 50 }, ...(signal ? { signal } : {}) }, SearchPageSchema);
    return value.results.map((r) => listing(r.repo_name.includes("/") ? r.repo_name : `library/${r.repo_name}`, r.short_description, undefined, r.pull_count, r.star_count));
  },
};

/** Hub tokens per context: one login per command, however many calls it makes. */
const tokens = new WeakMap<ProviderContext, Promise<string | undefined>>();

/** The Hub API client, with a bearer token when the user has Hub credentials. */
async function hubApi(ctx: ProviderContext): Promise<ApiClient> {
  const base = ctx.registry.entry?.options?.api ?? DOCKER_HUB_API;
  const authorization = () => {
    let token = tokens.get(ctx);
    if (token) return token;
    token = (async () => {
      const credential = await ctx.credential();
      if (!hasSecret(credential) || credential.password === undefined) return undefined;
      const plain = await ctx.api(base);
      const { value } = await plain.json({ path: "/v2/auth/token", json: { identifier: credential.username ?? "", secret: credential.password } }, TokenSchema);
      return `Bearer ${value.access_token}`;
    })();
    tokens.set(ctx, token);
    return token;
  };
  return ctx.api(base, authorization);
}

async function namespacesOf(ctx: ProviderContext): Promise<string[]> {
  const configured = ctx.registry.entry?.options?.namespaces ?? (ctx.registry.namespace ? [ctx.registry.namespace] : []);
  if (configured.length) return configured;
  const user = (await ctx.credential())?.username;
  return user ? [user.toLowerCase()] : ["library"];
}

function listing(name: string, description: string | null | undefined, updated: string | null | undefined, pulls: number | null | undefined, stars: number | null | undefined): RepositoryListing {
  return {
    name: name.toLowerCase(),
    ...(description ? { description } : {}),
    ...(updated ? { updated } : {}),
    ...(typeof pulls === "number" ? { pulls } : {}),
    ...(typeof stars === "number" ? { stars } : {}),
  };
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
