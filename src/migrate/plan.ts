import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import semver from "semver";
import { parse } from "yaml";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";

/**
 * Which idp package each referenced directory becomes: its name (the directory's base name as
 * a DNS label; the path's segments joined when two directories share a base name), its version
 * (the directory's own idp.yaml, else its Helm chart's version, else 0.1.0) and repository
 * (`REGISTRY[/PREFIX]/NAME`). Overrides are keyed by the directory as written after `cnoe://`.
 */

export interface PlannedPackage {
  /** Directory relative to the tree, '/'-separated, as reported. */
  directory: string;
  absolute: string;
  name: string;
  version: string;
  /** `registry/path/name`, where idp pushes it. */
  repository: string;
  /** The directory has its own idp.yaml, built as it is. */
  ownSpec: boolean;
  /** Why the name and version are what they are. */
  derivation: string;
}

export interface PlanOptions {
  /** `REGISTRY[/PREFIX]`. */
  registry: string;
  names?: Record<string, string>;
  versions?: Record<string, string>;
  /** Version for every package without its own. */
  defaultVersion?: string;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS label from arbitrary text: `My_App` → `my-app`. */
export function labelOf(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
}

/** The directory a `cnoe://PATH` in a file at the top of `tree` names, checked to exist. */
export function resolveCnoeDirectory(tree: string, path: string, where: string): { absolute: string; directory: string } {
  const absolute = resolve(tree, path);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    throw new NotFoundError(`${where}: cnoe://${path} names ${absolute}, which is not a directory`, { hint: "cnoe:// paths are relative to the file's directory, as idpbuilder reads them" });
  }
  const rel = relative(resolve(tree), absolute).split(sep).join("/");
  return { absolute, directory: rel === "" ? "." : rel };
}

/**
 * Names, versions and repositories for the directories (deterministic for the same tree).
 *
 * @example planPackages("pkgs", [{ absolute: "/…/pkgs/app1", directory: "app1" }], { registry: "127.0.0.1:5000/idpbuilder" })
 */
export function planPackages(tree: string, dirs: { absolute: string; directory: string }[], options: PlanOptions): PlannedPackage[] {
  const unique = [...new Map(dirs.map((d) => [d.absolute, d])).values()].sort((a, b) => (a.directory < b.directory ? -1 : 1));
  const known = new Set([...Object.keys(options.names ?? {}), ...Object.keys(options.versions ?? {})]);
  for (const key of known) {
    if (!unique.some((d) => d.directory === key)) throw new InvalidInputError(`--name/--package-version ${key}=…: no cnoe:// source names the directory ${key}`, { hint: `directories referenced: ${unique.map((d) => d.directory).join(", ") || "none"}` });
  }
  const baseCount = new Map<string, number>();
  for (const d of unique) baseCount.set(labelOf(basename(d.absolute)), (baseCount.get(labelOf(basename(d.absolute))) ?? 0) + 1);
  const planned = unique.map((d) => planOne(tree, d, options, (baseCount.get(labelOf(basename(d.absolute))) ?? 0) > 1));
  const byName = new Map<string, PlannedPackage>();
  for (const p of planned) {
    const other = byName.get(p.name);
    if (other) throw new InvalidInputError(`${other.directory} and ${p.directory} would both be package ${p.name}`, { hint: `name one of them: --name ${p.directory}=another-name` });
    byName.set(p.name, p);
  }
  return planned;
}

function planOne(tree: string, d: { absolute: string; directory: string }, options: PlanOptions, sharedBase: boolean): PlannedPackage {
  const registry = options.registry;
  const own = readOwnSpec(d.absolute);
  if (own) {
    if (options.names?.[d.directory] || options.versions?.[d.directory]) throw new InvalidInputError(`${d.directory} has its own idp.yaml; change its name and version there`);
    return { ...d, name: own.name, version: own.version, repository: `${registry}/${own.name}`, ownSpec: true, derivation: "its own idp.yaml" };
  }
  const explicitName = options.names?.[d.directory];
  const base = d.directory === "." ? basename(resolve(tree)) : sharedBase ? d.directory.replace(/^(\.\.\/)+/, "") : basename(d.absolute);
  const name = explicitName ?? labelOf(base);
  if (!LABEL.test(name)) throw new InvalidInputError(`package name ${JSON.stringify(name)} for ${d.directory} is not a DNS label`, { hint: `give one: --name ${d.directory}=my-package` });
  const chart = chartVersion(d.absolute);
  const version = options.versions?.[d.directory] ?? options.defaultVersion ?? chart ?? "0.1.0";
  if (semver.valid(version) === null || semver.clean(version) !== version) throw new InvalidInputError(`version ${JSON.stringify(version)} for ${d.directory} is not a semantic version like 1.2.3`);
  const why = [
    explicitName ? "name from --name" : sharedBase ? "name from the path (another directory has the same base name)" : "name from the directory",
    options.versions?.[d.directory] || options.defaultVersion ? "version from --package-version" : chart ? "version from Chart.yaml" : "first version 0.1.0",
  ];
  return { ...d, name, version, repository: `${registry}/${name}`, ownSpec: false, derivation: why.join(", ") };
}

function readOwnSpec(dir: string): { name: string; version: string } | undefined {
  const path = join(dir, "idp.yaml");
  if (!existsSync(path)) return undefined;
  const doc = parse(readFileSync(path, "utf8")) as { name?: unknown; version?: unknown } | null;
  if (typeof doc?.name !== "string" || typeof doc.version !== "string") throw new InvalidInputError(`${path} has no name and version`);
  return { name: doc.name, version: doc.version };
}

function chartVersion(dir: string): string | undefined {
  const path = join(dir, "Chart.yaml");
  if (!existsSync(path)) return undefined;
  try {
    const chart = parse(readFileSync(path, "utf8")) as { version?: unknown } | null;
    const version = typeof chart?.version === "string" ? chart.version : undefined;
    return version && semver.valid(version) && semver.clean(version) === version ? version : undefined;
  } catch {
    return undefined;
  }
}
