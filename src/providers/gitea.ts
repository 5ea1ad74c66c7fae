import * as v from "valibot";
import { basicAuthorization, sameOriginApi } from "./basic.ts";
import { numberedPages } from "./paging.ts";
import type { ProviderContext, RegistryProvider, RepositoryListing } from "./types.ts";

const PAGE = 50;

/** Gitea lists one entry per package version (for containers: per tag). */
const PackagesSchema = v.array(
  v.looseObject({
    owner: v.looseObject({ login: v.string() }),
    name: v.string(),
    type: v.string(),
    version: v.string(),
    created_at: v.nullish(v.string()),
  }),
);
const VersionSchema = v.looseObject({ version: v.string() });

/**
 * Gitea (and Forgejo): images live under an owner (`{owner}/{image}`, the owner lower-case in
 * the repository path). There is no `/v2/_catalog`; repositories are listed and searched with
 * the packages API (`GET /api/v1/packages/{owner}?type=container&q=`), with the user and
 * password or access token as Basic auth. The user name is sent exactly as configured: the
 * login compares it case-sensitively, while repository paths are lower-case. Discovery: the
 * token challenge (`service="container_registry"`, realm `/v2/token`) or `/api/v1/version`.
 *
 * @example await giteaProvider.search!(ctx, "platform")
 */
export const giteaProvider: RegistryProvider = {
  kind: "gitea",
  title: "Gitea / Forgejo",
  documented: {
    referrersApi: "no",
    listing: "packages API: /api/v1/packages/{owner}?type=container",
    search: "packages API (q=)",
    auth: "user and password or access token (user name case-sensitive at login)",
    createsRepositoryOnPush: true,
    notes: "no catalog; repositories are {owner}/{image} with a lower-case owner; referrers through the tag schema",
  },
  writeProbesByDefault: true,
  recognizesHost: () => false,
  recognizesAnswer: (e) => e.challenge?.service === "container_registry" && /\/v2\/token\/?$/.test(e.challenge.realm ?? ""),
  wellKnown: { path: "/api/v1/version", matches: (body) => v.is(VersionSchema, body) },

  async *listRepositories(ctx, signal) {
    yield* packages(ctx, undefined, signal);
  },

  async search(ctx, term, signal) {
    const out: RepositoryListing[] = [];
    for await (const r of packages(ctx, term, signal)) out.push(r);
    return out;
  },
};

/** Container packages of each owner, one listing per image with its newest version. */
async function* packages(ctx: ProviderContext, term: string | undefined, signal?: AbortSignal): AsyncIterable<RepositoryListing> {
  const api = await ctx.api(sameOriginApi(ctx), basicAuthorization(ctx));
  for (const owner of await ownersOf(ctx)) {
    const images = new Map<string, { latest: string; at: string }>();
    const fetchPage = async (page: number) =>
      (await api.json({ path: `/api/v1/packages/${encodeURIComponent(owner)}`, query: { type: "container", q: term, page, limit: PAGE }, ...(signal ? { signal } : {}) }, PackagesSchema)).value;
    for await (const page of numberedPages(PAGE, fetchPage)) {
      for (const p of page) {
        if (p.type !== "container" || p.version.startsWith("sha256:")) continue;
        const name = `${p.owner.login.toLowerCase()}/${p.name.toLowerCase()}`;
        const at = p.created_at ?? "";
        const known = images.get(name);
        if (!known || at > known.at) images.set(name, { latest: p.version, at });
      }
    }
    for (const [name, { latest, at }] of images) yield { name, latest, ...(at ? { updated: at } : {}) };
  }
}

async function ownersOf(ctx: ProviderContext): Promise<string[]> {
  const configured = ctx.registry.entry?.options?.namespaces ?? (ctx.registry.namespace ? [ctx.registry.namespace.split("/")[0]!] : []);
  if (configured.length) return configured;
  const user = (await ctx.credential())?.username;
  return user ? [user] : [];
}
