import * as v from "valibot";
import { basicAuthorization, sameOriginApi } from "./basic.ts";
import { numberedPages } from "./paging.ts";
import type { ProviderContext, RegistryProvider, RepositoryListing } from "./types.ts";

const PAGE = 100;

const ProjectsSchema = v.array(v.looseObject({ name: v.string() }));
const RepositoriesSchema = v.array(
  v.looseObject({
    name: v.string(),
    description: v.nullish(v.string()),
    update_time: v.nullish(v.string()),
    pull_count: v.nullish(v.number()),
  }),
);
const SearchSchema = v.looseObject({
  repository: v.nullish(v.array(v.looseObject({ repository_name: v.string(), pull_count: v.nullish(v.number()) }))),
});
const SystemInfoSchema = v.looseObject({ harbor_version: v.string() });

/**
 * Harbor: repositories live in projects; they are listed through Harbor's API
 * (`GET /api/v2.0/projects`, then `/projects/{name}/repositories`), searched with
 * `GET /api/v2.0/search?q=`, both with the registry's user and password (robot accounts
 * `robot$project+name` included) as Basic auth. Discovery: the token service Harbor names
 * (`service="harbor-registry"`, realm `/service/token`) or `GET /api/v2.0/systeminfo`.
 *
 * @example await harborProvider.search!(ctx, "ingress")
 */
export const harborProvider: RegistryProvider = {
  kind: "harbor",
  title: "Harbor",
  documented: {
    referrersApi: "yes",
    listing: "Harbor API: /api/v2.0/projects, /projects/{name}/repositories",
    search: "Harbor search API (/api/v2.0/search)",
    auth: "user or robot account (robot$…) and password; Docker token flow for the registry, Basic for the API",
    createsRepositoryOnPush: true,
    notes: "repositories must be inside an existing project; referrers API since Harbor 2.8",
  },
  writeProbesByDefault: true,
  recognizesHost: () => false,
  recognizesAnswer: (e) => e.challenge?.service === "harbor-registry" || /\/service\/token\/?$/.test(e.challenge?.realm ?? ""),
  wellKnown: { path: "/api/v2.0/systeminfo", matches: (body) => v.is(SystemInfoSchema, body) },

  async *listRepositories(ctx, signal) {
    const api = await ctx.api(sameOriginApi(ctx), basicAuthorization(ctx));
    const opts = signal ? { signal } : {};
    const projects = ctx.registry.entry?.options?.namespaces ?? (ctx.registry.namespace ? [ctx.registry.namespace] : await allProjects(ctx, signal));
    for (const project of projects) {
      for await (const page of numberedPages(PAGE, async (n) => (await api.json({ path: `/api/v2.0/projects/${encodeURIComponent(project)}/repositories`, query: { page: n, page_size: PAGE }, ...opts }, RepositoriesSchema)).value)) {
        for (const r of page) yield listing(r.name, r.description, r.update_time, r.pull_count);
      }
    }
  },

  async search(ctx, term, signal) {
    const api = await ctx.api(sameOriginApi(ctx), basicAuthorization(ctx));
    const { value } = await api.json({ path: "/api/v2.0/search", query: { q: term }, ...(signal ? { signal } : {}) }, SearchSchema);
    return (value.repository ?? []).map((r) => listing(r.repository_name, undefined, undefined, r.pull_count));
  },
};

async function allProjects(ctx: ProviderContext, signal?: AbortSignal): Promise<string[]> {
  const api = await ctx.api(sameOriginApi(ctx), basicAuthorization(ctx));
  const out: string[] = [];
  for await (const page of numberedPages(PAGE, async (n) => (await api.json({ path: "/api/v2.0/projects", query: { page: n, page_size: PAGE }, ...(signal ? { signal } : {}) }, ProjectsSchema)).value)) {
    out.push(...page.map((p) => p.name));
  }
  return out;
}

function listing(name: string, description: string | null | undefined, updated: string | null | undefined, pulls: number | null | undefined): RepositoryListing {
  return {
    name: name.toLowerCase(),
    ...(description ? { description } : {}),
    ...(updated ? { updated } : {}),
    ...(typeof pulls === "number" ? { pulls } : {}),
  };
}
