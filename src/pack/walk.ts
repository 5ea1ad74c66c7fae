import type { Stats } from "node:fs";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { entryComponents, symlinkProblem } from "./paths.ts";

/** A file or directory to pack, and the path it gets in the archive. */
export interface PackSource {
  path: string;
  /**
   * Path inside the archive (default: the source's base name). `.` puts a directory's
   * contents at the archive root.
   */
  name?: string;
}

/** One archive entry, with its metadata already normalised. */
export interface PackEntry {
  /** Archive path: `a/b` for files and links, `a/b/` for directories. */
  name: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  size: number;
  /** Where a file's bytes are read from. */
  source?: string;
  linkTarget?: string;
}

/**
 * The entries of `sources` in archive order: sources by name, each directory before its
 * contents, names sorted by code unit. Only what matters to the content is kept (no owners,
 * times or inode numbers), so two packings of the same tree agree. Hard links are packed as
 * plain files: how a tree happens to share inodes is not part of its content.
 *
 * @example for await (const entry of walk([{ path: "./site", name: "." }])) …
 */
export async function* walk(sources: readonly PackSource[]): AsyncGenerator<PackEntry> {
  const named = sources.map((s) => ({ path: s.path, parts: nameOf(s) }));
  named.sort((a, b) => compare(a.parts.join("/"), b.parts.join("/")));
  for (let i = 1; i < named.length; i++) {
    const prev = named[i - 1]!.parts.join("/");
    const cur = named[i]!.parts.join("/");
    if (prev === cur || prev === "" || cur.startsWith(`${prev}/`)) {
      throw new InvalidInputError(`cannot pack ${named[i]!.path}: its archive path ${JSON.stringify(cur || ".")} overlaps another source's`);
    }
  }
  for (const source of named) {
    // A source named on the command line is followed if it is a symlink; links found inside
    // directories are kept as links.
    const info = await stat(source.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") throw new NotFoundError(`cannot pack ${source.path}: no such file or directory`);
      throw error;
    });
    yield* visit(source.path, source.parts, info);
  }
}

async function* visit(path: string, parts: string[], info: Stats): AsyncGenerator<PackEntry> {
  const name = parts.join("/");
  if (info.isDirectory()) {
    if (parts.length > 0) yield { name: `${name}/`, type: "directory", mode: 0o755, size: 0 };
    const children = (await readdir(path)).sort(compare);
    for (const child of children) {
      const childPath = join(path, child);
      yield* visit(childPath, [...parts, child], await lstat(childPath));
    }
    return;
  }
  if (parts.length === 0) throw new InvalidInputError(`cannot pack ${path} as the archive root: it is not a directory`);
  if (info.isFile()) {
    yield { name, type: "file", mode: info.mode & 0o111 ? 0o755 : 0o644, size: info.size, source: path };
    return;
  }
  if (info.isSymbolicLink()) {
    const target = await readlink(path);
    const problem = symlinkProblem(parts, target);
    if (problem) throw new InvalidInputError(`cannot pack ${path}: ${problem}`, { hint: "only relative links that stay inside what is packed are kept" });
    yield { name, type: "symlink", mode: 0o777, size: 0, linkTarget: target };
    return;
  }
  const kind = info.isFIFO() ? "a FIFO" : info.isSocket() ? "a socket" : "a device file";
  throw new InvalidInputError(`cannot pack ${path}: it is ${kind}`, { hint: "layers hold files, directories and symlinks only" });
}

function nameOf(source: PackSource): string[] {
  const name = source.name ?? basename(source.path.replace(/\/+$/, ""));
  const parsed = entryComponents(name);
  if ("problem" in parsed) throw new InvalidInputError(`cannot pack ${source.path} as ${JSON.stringify(name)}: ${parsed.problem}`);
  return parsed.parts;
}

/** Code-unit order: the same on every machine, whatever the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
