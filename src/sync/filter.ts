import semver from "semver";
import type { TagFilter } from "./config.ts";

/**
 * A tag filter as a predicate: a tag is kept when it matches an `allow` pattern (or there
 * are none), matches no `deny` pattern, and, with `semver`, is a semantic version (a leading
 * `v` is accepted) inside the range.
 *
 * @example tagPredicate({ semver: "^1", deny: ["-rc"] })("1.4.0") // true
 */
export function tagPredicate(filter: TagFilter | undefined): (tag: string) => boolean {
  if (!filter) return () => true;
  const allow = (filter.allow ?? []).map((p) => new RegExp(p));
  const deny = (filter.deny ?? []).map((p) => new RegExp(p));
  const range = filter.semver;
  return (tag) => {
    if (allow.length > 0 && !allow.some((r) => r.test(tag))) return false;
    if (deny.some((r) => r.test(tag))) return false;
    if (range !== undefined) {
      const version = semver.valid(tag.replace(/^v(?=\d)/, ""));
      if (version === null || !semver.satisfies(version, range, { includePrerelease: filter.prerelease ?? false })) return false;
    }
    return true;
  };
}
