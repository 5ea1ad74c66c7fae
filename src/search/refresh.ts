import * as v from "valibot";
import { CacheRepository, PullThrough, openCache } from "../cache/index.ts";
import { readAll } from "../content/verify.ts";
import { MAX_MANIFEST_BYTES } from "../content/successors.ts";
import { NotFoundError } from "../errors/index.ts";
import { parseManifest } from "../oci/manifest.ts";
import { Annotation, PackageMediaType } from "../oci/mediatypes.ts";
import { providerOf } from "../providers/catalog.ts";
import type { ProviderContext } from "../providers/types.ts";
import type { RemoteRepository } from "../remote/index.ts";
import { limiter } from "../copy/limit.ts";
import { loadIndex, saveIndex, type IndexedRepository, type PackageInfo, type SearchIndex } from "./index-file.ts";
import { contentTags, isVersionTag, pickLatest } from "./latest.ts";

/** The fields of an idp package config that search uses; unknown fields are ignored. */
const PackageConfigSchema = v.looseObject({
  name: v.string(),
  version: v.optional(v.string()),
  description: v.optional(v.string()),
  annotations: v.optional(v.record(v.string(), v.string())),
  kind: v.optional(v.string()),
});

export interface RefreshOptions {
  /** Re-read every repository, even those whose tags did not change. */
  full?: boolean;
  /** Repositories read at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/** What a refresh did, with the requests it needed (the point of being incremental). */
export interface RefreshReport {
  registry: string;
  repositories: number;
  changed: number;
  unchanged: number;
  removed: number;
  requests: { listings: number; tagLists: number; manifests: number; configs: number };
  ms: number;
}

/**
 * Refreshes a registry's search index incrementally: repositories come from the provider's
 * listing (catalog, Harbor projects, Gitea packages, …); a repository whose tag list is the
 * same as last time and whose latest tag is a version (versions do not move) is kept as it
 * was, with no further request; otherwise its latest manifest is read and, for idp packages,
 * its config blob (through the local cache, so a config is downloaded once ever).
 *
 * @example const report = await refreshIndex(ctx); // { changed: 3, unchanged: 97, … }
 */
export async function refreshIndex(ctx: ProviderContext, options: RefreshOptions = {}): Promise<RefreshReport> {
  const started = performance.now();
  const key = ctx.registry.name ?? ctx.registry.host;
  const old = options.full ? undefined : await loadIndex(key, ctx.env);
  const provider = providerOf(ctx.registry.provider);
  const report: RefreshReport = { registry: key, repositories: 0, changed: 0, unchanged: 0, removed: 0, requests: { listings: 1, tagLists: 0, manifests: 0, configs: 0 }, ms: 0 };
  const listed = new Map<string, string | undefined>();
  for await (const repo of provider.listRepositories(ctx, options.signal)) listed.set(repo.name, repo.description);
  const registry = await ctx.openRegistry();
  const cache = await openCache(ctx.env);
  const limit = limiter(options.concurrency ?? 4);
  const next: SearchIndex = { version: 1, registry: key, host: ctx.registry.host, refreshedAt: new Date().toISOString(), repositories: {} };
  await Promise.all(
    [...listed].map(([name, description]) =>
      limit(async () => {
        const entry = await refreshRepository(registry.repository(name), old?.repositories[name], report, cache, `${ctx.registry.host}/${name}`, options);
        if (entry) next.repositories[name] = description && !entry.description ? { ...entry, description } : entry;
      }),
    ),
  );
  report.repositories = Object.keys(next.repositories).length;
  report.removed = Object.keys(old?.repositories ?? {}).filter((name) => !listed.has(name)).length;
  await saveIndex(next, ctx.env);
  report.ms = Math.round(performance.now() - started);
  return report;
}

async function refreshRepository(
  repo: RemoteRepository,
  previous: IndexedRepository | undefined,
  report: RefreshReport,
  cache: Awaited<ReturnType<typeof openCache>>,
  cacheName: string,
  options: RefreshOptions,
): Promise<IndexedRepository | undefined> {
  const tags: string[] = [];
  report.requests.tagLists++;
  try {
    for await (const tag of repo.tags(options.signal ? { signal: options.signal } : {})) tags.push(tag);
  } catch (error) {
    // Listed but gone (or holding only blobs): not searchable.
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  const content = contentTags(tags).sort();
  const now = new Date().toISOString();
  if (previous && sameTags(previous.tags, content) && previous.latest !== undefined && isVersionTag(previous.latest)) {
    report.unchanged++;
    return { ...previous, checkedAt: now };
  }
  report.changed++;
  const latest = pickLatest(content);
  // Nothing tagged (an empty repository, or one holding only blobs): nothing to find.
  if (latest === undefined) return undefined;
  const desc = await repo.resolve(latest);
  report.requests.manifests++;
  if (previous?.digest === desc.digest) return { ...previous, tags: content, latest, checkedAt: now };
  const through = new PullThrough(repo, new CacheRepository(cache, cacheName));
  const bytes = await readAll(await through.fetch(desc), MAX_MANIFEST_BYTES, `manifest ${desc.digest}`);
  if (through.stats.misses > 0) report.requests.manifests++;
  const info = parseManifest(bytes, desc.mediaType);
  const entry: IndexedRepository = { tags: content, latest, digest: desc.digest, checkedAt: now };
  if (info.artifactType) entry.artifactType = info.artifactType;
  if (info.annotations) entry.annotations = info.annotations;
  const described = info.annotations?.[Annotation.description];
  if (described) entry.description = described;
  if (info.config?.mediaType === PackageMediaType.config && info.config.size <= 1024 * 1024) {
    const before = through.stats.misses;
    const config = await readAll(await through.fetch(info.config), 1024 * 1024, `config ${info.config.digest}`);
    if (through.stats.misses > before) report.requests.configs++;
    const pkg = packageInfo(config);
    if (pkg) entry.package = pkg;
  }
  return entry;
}

function packageInfo(bytes: Uint8Array): PackageInfo | undefined {
  try {
    const parsed = v.safeParse(PackageConfigSchema, JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) return undefined;
    const { name, version, description, annotations, kind } = parsed.output;
    return { name, ...(version ? { version } : {}), ...(description ? { description } : {}), ...(annotations ? { annotations } : {}), ...(kind ? { kind } : {}) };
  } catch {
    return undefined;
  }
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
