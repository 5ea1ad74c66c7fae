import { rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { parse, stringify } from "yaml";
import { InvalidInputError } from "../errors/index.ts";
import { DigestSchema, describeIssue } from "../oci/schemas.ts";
import { absoluteRepository, type Resolution, type ResolvedPackage } from "./resolve.ts";
import { DependencySchema, PackageNameSchema, VersionSchema, type Dependency } from "./spec.ts";

/**
 * `idp.lock`: every package of the resolved closure pinned to a manifest digest, plus the
 * root's dependencies as they were declared, so a changed idp.yaml makes the lock stale.
 */
export const LOCK_FILE = "idp.lock";

const LockedPackageSchema = v.strictObject({
  name: PackageNameSchema,
  repository: v.string(),
  version: VersionSchema,
  digest: DigestSchema,
  dependencies: v.optional(v.array(DependencySchema), []),
});

export const LockfileSchema = v.strictObject({
  lockfileVersion: v.literal(1),
  package: v.strictObject({ name: PackageNameSchema, version: VersionSchema }),
  registry: v.string(),
  requires: v.array(DependencySchema),
  packages: v.array(LockedPackageSchema),
});
export type Lockfile = v.InferOutput<typeof LockfileSchema>;

const HEADER = "# Written by `idp deps lock`. Do not edit by hand: change idp.yaml and run `idp deps lock`\n# (or `idp deps update [NAME]` to move within the ranges).\n";

/** The lockfile for a resolution. */
export function lockfileFor(resolution: Resolution, registry: string): Lockfile {
  return {
    lockfileVersion: 1,
    package: { name: resolution.root.name, version: resolution.root.version },
    registry,
    requires: resolution.root.dependencies.map(stripDefaults),
    packages: [...resolution.packages]
      .sort((a, b) => (a.repository < b.repository ? -1 : 1))
      .map((p) => ({ name: p.name, repository: p.repository, version: p.version, digest: p.digest, dependencies: p.dependencies.map(stripDefaults) })),
  };
}

function stripDefaults(d: Dependency): Dependency {
  return d.alias === undefined ? { repository: d.repository, version: d.version } : { repository: d.repository, version: d.version, alias: d.alias };
}

/** Writes `DIR/idp.lock` atomically: a failure never leaves a partial lockfile. */
export async function writeLockfile(dir: string, lock: Lockfile): Promise<string> {
  const path = join(dir, LOCK_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await Bun.write(tmp, HEADER + stringify(lock, { lineWidth: 0 }));
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  return path;
}

/** Reads `DIR/idp.lock`; undefined when there is none. */
export async function readLockfile(dir: string): Promise<Lockfile | undefined> {
  const file = Bun.file(join(dir, LOCK_FILE));
  if (!(await file.exists())) return undefined;
  let doc: unknown;
  try {
    doc = parse(await file.text());
  } catch (error) {
    throw new InvalidInputError(`${join(dir, LOCK_FILE)}: not valid YAML (${(error as Error).message.split("\n")[0]})`, { hint: "delete it and run `idp deps lock`" });
  }
  const parsed = v.safeParse(LockfileSchema, doc);
  if (!parsed.success) {
    throw new InvalidInputError(`${join(dir, LOCK_FILE)}: ${describeIssue(parsed.issues)}`, { hint: "delete it and run `idp deps lock`" });
  }
  return parsed.output;
}

/**
 * Why a lockfile no longer fits idp.yaml (undefined when it fits): the package's name,
 * version or declared dependencies changed since it was written.
 */
export function staleness(lock: Lockfile, root: { name: string; version: string; dependencies: Dependency[] }, registry: string): string | undefined {
  if (lock.package.name !== root.name || lock.package.version !== root.version) {
    return `it was written for ${lock.package.name}@${lock.package.version}, idp.yaml says ${root.name}@${root.version}`;
  }
  if (lock.registry !== registry) return `it was resolved against ${lock.registry}, not ${registry}`;
  const key = (d: Dependency) => `${absoluteRepository(d.repository, registry)} ${d.version} ${d.alias ?? ""}`;
  const declared = root.dependencies.map(key).sort();
  const locked = lock.requires.map(key).sort();
  if (declared.join("\n") !== locked.join("\n")) return "the dependencies in idp.yaml changed since it was written";
  return undefined;
}

/** The locked versions by repository, to prefer when re-resolving. */
export function lockedVersions(lock: Lockfile, except?: (p: Lockfile["packages"][number]) => boolean): Map<string, string> {
  return new Map(lock.packages.filter((p) => !except?.(p)).map((p) => [p.repository, p.version]));
}

/** The lock's packages as a resolution's, for `--locked` runs. */
export function lockedPackages(lock: Lockfile): Omit<ResolvedPackage, "level">[] {
  return lock.packages.map((p) => ({ ...p }));
}

