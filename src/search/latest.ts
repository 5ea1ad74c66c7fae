import semver from "semver";
import { isDigestReference } from "../content/descriptor.ts";

/**
 * Which tag of a repository search shows as its version: the highest semantic version
 * (releases before prereleases), else `latest`, else the last tag in order. Tags of the
 * referrers tag schema (`sha256-<hex>`) are never versions.
 *
 * @example pickLatest(["1.2.0", "1.10.0", "latest", "2.0.0-rc.1"]) // "1.10.0"
 */
export function pickLatest(tags: readonly string[]): string | undefined {
  const versions = tags.filter(isVersionTag);
  const releases = versions.filter((t) => !semver.prerelease(t));
  const pool = releases.length ? releases : versions;
  if (pool.length) return [...pool].sort(semver.rcompare)[0];
  if (tags.includes("latest")) return "latest";
  return [...tags].sort().at(-1);
}

/**
 * A tag that is a semantic version (`1.2.3`, `v1.2.3`), which by convention never moves.
 *
 * @example isVersionTag("1.2.3") // true; isVersionTag("latest") // false
 */
export function isVersionTag(tag: string): boolean {
  return semver.valid(tag) !== null;
}

/**
 * Tags worth indexing: not the referrers tag schema's.
 *
 * @example contentTags(["v1", "sha256-<64 hex>"]) // ["v1"]
 */
export function contentTags(tags: readonly string[]): string[] {
  return tags.filter((t) => !/^sha(256|512)-[a-f0-9]{64,128}$/.test(t) && !isDigestReference(t));
}
