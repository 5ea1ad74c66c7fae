import { lstat, readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ALWAYS_EXCLUDED } from "./spec.ts";

/** A file of a package, by its path relative to the package directory ('/'-separated). */
export interface PackageFile {
  path: string;
  size: number;
  kind: "file" | "symlink";
}

/**
 * The files a package ships: under `dir`, matching an `include` glob and no `exclude` glob
 * (nor idp's own files: idp.yaml, idp.lock, .git/, .idp/), in byte order of their paths.
 * Directories are implied by the files in them.
 *
 * @example await listPackageFiles("examples/base", ["**"], ["test/**"])
 */
export async function listPackageFiles(dir: string, include: readonly string[], exclude: readonly string[]): Promise<PackageFile[]> {
  const includes = include.map((g) => new Bun.Glob(g));
  const excludes = [...exclude, ...ALWAYS_EXCLUDED].map((g) => new Bun.Glob(g));
  const out: PackageFile[] = [];
  for (const entry of await walk(dir)) {
    const path = entry.path;
    if (!includes.some((g) => g.match(path))) continue;
    if (excludes.some((g) => g.match(path) || g.match(`${path}/`))) continue;
    out.push(entry);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walk(root: string): Promise<PackageFile[]> {
  const found: PackageFile[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const path = relative(root, full).split(sep).join("/");
      if (entry.isDirectory()) {
        if (path === ".git" || path === ".idp") continue;
        pending.push(full);
      } else if (entry.isSymbolicLink()) {
        found.push({ path, size: 0, kind: "symlink" });
      } else if (entry.isFile()) {
        found.push({ path, size: (await lstat(full)).size, kind: "file" });
      }
    }
  }
  return found;
}
