import semver from "semver";
import { canListTags, type ReadOnlyTarget, type TagLister } from "../content/types.ts";
import { UnsupportedError } from "../errors/index.ts";

/**
 * The semver tags of a repository, newest first (non-semver tags such as `latest` or `1.2`
 * are moving tags, not versions). With `digests`, each version is resolved too.
 */
export async function packageVersions(
  store: ReadOnlyTarget & Partial<TagLister>,
  options: { prerelease?: boolean; digests?: boolean } = {},
): Promise<{ version: string; digest?: string }[]> {
  if (!canListTags(store)) throw new UnsupportedError("this store cannot list tags");
  const versions: string[] = [];
  for await (const tag of store.tags()) {
    if (semver.valid(tag) && semver.clean(tag) === tag && (options.prerelease || !semver.prerelease(tag))) versions.push(tag);
  }
  versions.sort(semver.rcompare);
  if (!options.digests) return versions.map((version) => ({ version }));
  const out: { version: string; digest?: string }[] = [];
  for (const version of versions) out.push({ version, digest: (await store.resolve(version)).digest });
  return out;
}
