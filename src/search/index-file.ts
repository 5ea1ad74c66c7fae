import { dirname, join } from "node:path";
import * as v from "valibot";
import { idpHome } from "../config/home.ts";
import { writeFileAtomic } from "../content/layout/files.ts";
import { InvalidInputError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";

/**
 * The local search index: one JSON file per registry under `$IDP_HOME/index/`, written
 * atomically (a refresh of one registry never blocks or corrupts another's). It records, per
 * repository, the tags, the latest version and what its manifest and package config say, so
 * that search needs no network and a refresh can skip what did not change.
 */

const PackageInfoSchema = v.looseObject({
  name: v.string(),
  version: v.optional(v.string()),
  description: v.optional(v.string()),
  annotations: v.optional(v.record(v.string(), v.string())),
  kind: v.optional(v.string()),
});
export type PackageInfo = v.InferOutput<typeof PackageInfoSchema>;

export const IndexedRepositorySchema = v.looseObject({
  tags: v.array(v.string()),
  /** The tag taken as latest: highest semantic version, else `latest`, else the last tag. */
  latest: v.optional(v.string()),
  /** The manifest digest `latest` pointed at when last read. */
  digest: v.optional(v.string()),
  artifactType: v.optional(v.string()),
  /** From the provider's listing or the manifest's description annotation. */
  description: v.optional(v.string()),
  annotations: v.optional(v.record(v.string(), v.string())),
  /** The idp package config of `latest`, when it is a package. */
  package: v.optional(PackageInfoSchema),
  checkedAt: v.string(),
});
export type IndexedRepository = v.InferOutput<typeof IndexedRepositorySchema>;

export const SearchIndexSchema = v.looseObject({
  version: v.literal(1),
  registry: v.string(),
  host: v.string(),
  refreshedAt: v.string(),
  repositories: v.record(v.string(), IndexedRepositorySchema),
});
export type SearchIndex = v.InferOutput<typeof SearchIndexSchema>;

/**
 * `$IDP_HOME/index/<registry>.json`; hosts get `:` replaced so the name is portable.
 *
 * @example indexPath("127.0.0.1:5000") // ~/.idp/index/127.0.0.1_5000.json
 */
export function indexPath(registry: string, env: Record<string, string | undefined> = process.env): string {
  return join(idpHome(env), "index", `${registry.replace(/[^a-zA-Z0-9._-]/g, "_")}.json`);
}

/**
 * A registry's index; undefined before its first refresh.
 *
 * @example const index = await loadIndex("corp");
 */
export async function loadIndex(registry: string, env: Record<string, string | undefined> = process.env): Promise<SearchIndex | undefined> {
  const path = indexPath(registry, env);
  const file = Bun.file(path);
  if (!(await file.exists())) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(await file.text());
  } catch {
    throw new InvalidInputError(`${path} is not JSON`, { hint: "run `idp index refresh --full` to rebuild it" });
  }
  const parsed = v.safeParse(SearchIndexSchema, doc);
  if (!parsed.success) throw new InvalidInputError(`${path}: ${describeIssue(parsed.issues)}`, { hint: "run `idp index refresh --full` to rebuild it" });
  return parsed.output;
}

/**
 * Writes a registry's index atomically.
 *
 * @example await saveIndex(index);
 */
export async function saveIndex(index: SearchIndex, env: Record<string, string | undefined> = process.env): Promise<void> {
  const path = indexPath(index.registry, env);
  await writeFileAtomic(dirname(path), path, `${JSON.stringify(index)}\n`);
}
