import { providerOf } from "../providers/catalog.ts";
import type { ProviderContext, RepositoryListing } from "../providers/types.ts";
import type { IndexedRepository, SearchIndex } from "./index-file.ts";
import { loadIndex } from "./index-file.ts";
import { refreshIndex, type RefreshReport } from "./refresh.ts";

/** One search result. */
export interface SearchHit {
  /** The registry's configured name (or host). */
  registry: string;
  /** Where it lives, as a reference without tag: `host/path`. */
  repository: string;
  /** The package's name, else the repository path's last component. */
  name: string;
  latest: string | undefined;
  description: string | undefined;
  /** `api`: the provider's search API answered; `index`: idp's local index. */
  source: "api" | "index";
  score: number;
}

/** Weights of where a term matched; a name match outranks any amount of description. */
const WEIGHT = { exact: 100, prefix: 60, name: 40, path: 25, description: 15, annotation: 10 } as const;

/**
 * How well `terms` (lower-cased words, all required) match a repository: each term scores its
 * best place (exact name, name prefix, inside the name, the path, the description, an
 * annotation); 0 when any term matches nowhere.
 *
 * @example scoreRepository(["ingress"], "platform/ingress", entry) // 100
 */
export function scoreRepository(terms: readonly string[], path: string, entry: Partial<IndexedRepository> | undefined): number {
  const name = (entry?.package?.name ?? path.slice(path.lastIndexOf("/") + 1)).toLowerCase();
  const descriptions = [entry?.package?.description, entry?.description].filter((d): d is string => Boolean(d)).map((d) => d.toLowerCase());
  const annotations = Object.entries({ ...entry?.annotations, ...entry?.package?.annotations }).flatMap(([k, v]) => [k.toLowerCase(), v.toLowerCase()]);
  let total = 0;
  for (const term of terms) {
    const best =
      name === term ? WEIGHT.exact
      : name.startsWith(term) ? WEIGHT.prefix
      : name.includes(term) ? WEIGHT.name
      : path.toLowerCase().includes(term) ? WEIGHT.path
      : descriptions.some((d) => d.includes(term)) ? WEIGHT.description
      : annotations.some((a) => a.includes(term)) ? WEIGHT.annotation
      : 0;
    if (best === 0) return 0;
    total += best;
  }
  return total + (entry?.package ? 5 : 0);
}

/**
 * Splits what the user typed into lower-case terms.
 *
 * @example searchTerms("Cert  Manager") // ["cert", "manager"]
 */
export function searchTerms(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * Hits from a registry's local index, best first.
 *
 * @example searchIndex(index, ["ingress"])
 */
export function searchIndex(index: SearchIndex, terms: readonly string[]): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const [path, entry] of Object.entries(index.repositories)) {
    const score = scoreRepository(terms, path, entry);
    if (score > 0) hits.push(hitOf(index.registry, index.host, path, entry, "index", score));
  }
  return hits;
}

/** What searching one registry produced, and how. */
export interface RegistrySearch {
  hits: SearchHit[];
  /** Set when the index had to be built first. */
  refreshed?: RefreshReport;
}

/**
 * Searches one registry: with its provider's search API when it has one (results enriched
 * from the local index when known), otherwise in the local index, which is built first if
 * this registry was never indexed.
 *
 * @example const { hits } = await searchRegistry(ctx, "ingress");
 */
export async function searchRegistry(ctx: ProviderContext, text: string, options: { useIndexOnly?: boolean } = {}): Promise<RegistrySearch> {
  const terms = searchTerms(text);
  const key = ctx.registry.name ?? ctx.registry.host;
  const provider = providerOf(ctx.registry.provider);
  let index = await loadIndex(key, ctx.env);
  if (provider.search && !options.useIndexOnly) {
    const listings = await provider.search(ctx, text);
    return { hits: listings.map((l) => apiHit(key, ctx.registry.host, l, index, terms)) };
  }
  let refreshed: RefreshReport | undefined;
  if (!index) {
    refreshed = await refreshIndex(ctx);
    index = await loadIndex(key, ctx.env);
  }
  return { hits: index ? searchIndex(index, terms) : [], ...(refreshed ? { refreshed } : {}) };
}

/**
 * Orders hits: score, then registry and repository, so output is stable.
 *
 * @example rankHits([...fromApi, ...fromIndex])
 */
export function rankHits(hits: SearchHit[]): SearchHit[] {
  return hits.sort((a, b) => b.score - a.score || a.registry.localeCompare(b.registry) || a.repository.localeCompare(b.repository));
}

function apiHit(registry: string, host: string, listing: RepositoryListing, index: SearchIndex | undefined, terms: readonly string[]): SearchHit {
  const known = index?.repositories[listing.name];
  const entry: Partial<IndexedRepository> = { ...known, ...(listing.description && !known?.description ? { description: listing.description } : {}) };
  // The service matched it already; the score only orders results, and never drops one.
  const score = Math.max(1, scoreRepository(terms, listing.name, entry));
  const hit = hitOf(registry, host, listing.name, entry, "api", score);
  return listing.latest && !hit.latest ? { ...hit, latest: listing.latest } : hit;
}

function hitOf(registry: string, host: string, path: string, entry: Partial<IndexedRepository> | undefined, source: SearchHit["source"], score: number): SearchHit {
  return {
    registry,
    repository: `${host}/${path}`,
    name: entry?.package?.name ?? path.slice(path.lastIndexOf("/") + 1),
    latest: entry?.package?.version ?? entry?.latest,
    description: entry?.package?.description ?? entry?.description,
    source,
    score,
  };
}
