import semver from "semver";
import { copyGraph } from "../copy/index.ts";
import { observingHooks, type TransferCounts, type TransferObserver } from "../client/observe.ts";
import { canListTags, type Target, type TagLister } from "../content/types.ts";
import { AlreadyExistsError, NotFoundError } from "../errors/index.ts";
import type { BuiltPackage } from "./build.ts";

export interface PackagePushOptions {
  /** Also move `MAJOR`, `MAJOR.MINOR` and `latest` when this is the newest of each line. */
  movingTags?: boolean;
  /** Replace an existing exact version whose digest differs. */
  force?: boolean;
  observer?: TransferObserver;
}

export interface PackagePushResult extends TransferCounts {
  digest: string;
  tags: string[];
  /** The exact version was there already with this very digest: nothing was pushed. */
  unchanged: boolean;
}

/**
 * Pushes a built package and tags it with its exact version. An exact version that exists
 * with other content is refused unless `force` (versions are meant to be immutable); the same
 * content again uploads nothing. Moving tags never go backwards: `1.2` moves only when this is
 * the highest 1.2.x, `1` only for the highest 1.x, `latest` only for the highest of all, and
 * prereleases move none.
 */
export async function pushPackage(built: BuiltPackage, dst: Target & Partial<TagLister>, options: PackagePushOptions = {}): Promise<PackagePushResult> {
  const version = built.config.version;
  let existing: string | undefined;
  try {
    existing = (await dst.resolve(version)).digest;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (existing && existing !== built.manifest.digest && !options.force) {
    await built.staged.dispose();
    throw new AlreadyExistsError(`version ${version} of ${built.config.name} exists with other content (${existing})`, {
      hint: "bump version in idp.yaml, or pass --force to replace it (consumers pinned to the old digest keep it)",
    });
  }
  const { hooks, counts } = observingHooks(options.observer);
  const tags = [version];
  try {
    await copyGraph(built.staged, dst, built.manifest, hooks);
    await dst.tag(built.manifest, version);
    if (options.movingTags && !semver.prerelease(version)) {
      const others = canListTags(dst) ? await semverTags(dst) : [];
      for (const tag of movingTagsFor(version, [...others, version])) {
        await dst.tag(built.manifest, tag);
        tags.push(tag);
      }
    }
  } finally {
    await built.staged.dispose();
  }
  return { digest: built.manifest.digest, tags, unchanged: existing === built.manifest.digest, ...counts };
}

/** The moving tags `version` should carry given every released version present. */
export function movingTagsFor(version: string, all: readonly string[]): string[] {
  const released = all.filter((v) => semver.valid(v) && !semver.prerelease(v));
  const major = semver.major(version);
  const minor = semver.minor(version);
  const highest = (list: string[]) => list.sort(semver.rcompare)[0];
  const out: string[] = [];
  if (highest(released.filter((v) => semver.major(v) === major && semver.minor(v) === minor)) === version) out.push(`${major}.${minor}`);
  if (highest(released.filter((v) => semver.major(v) === major)) === version) out.push(`${major}`);
  if (highest([...released]) === version) out.push("latest");
  return out;
}

async function semverTags(store: TagLister): Promise<string[]> {
  const out: string[] = [];
  for await (const tag of store.tags()) if (semver.valid(tag) && semver.clean(tag) === tag) out.push(tag);
  return out;
}
