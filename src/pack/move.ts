import { lstat, mkdir, readdir, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AlreadyExistsError, InvalidInputError } from "../errors/index.ts";

/**
 * Moves an extracted tree from `staging` into `out`. When `out` does not exist this is one
 * rename. Otherwise every conflict is checked before anything moves, so a refusal leaves `out`
 * as it was: an existing file is replaced only with `overwrite`; an existing directory is
 * never replaced by a file, and an existing symlink is never written through.
 *
 * @example await moveInto("/out/.x.idp-extract-1", "/out/x", { overwrite: false });
 */
export async function moveInto(staging: string, out: string, options: { overwrite: boolean }): Promise<void> {
  const existing = await lstat(out).catch(() => undefined);
  if (!existing) {
    await mkdir(dirname(out), { recursive: true });
    await rename(staging, out);
    return;
  }
  if (!existing.isDirectory()) throw new AlreadyExistsError(`cannot extract into ${out}: it exists and is not a directory`);
  const moves: { from: string; to: string }[] = [];
  await plan(staging, out, "", options.overwrite, moves);
  for (const { from, to } of moves) await rename(from, to);
}

/** Collects the renames that merge `from` into the existing directory `to`, or throws. */
async function plan(from: string, to: string, rel: string, overwrite: boolean, moves: { from: string; to: string }[]): Promise<void> {
  for (const name of (await readdir(from)).sort()) {
    const src = join(from, name);
    const dst = join(to, name);
    const shown = rel ? `${rel}/${name}` : name;
    const [mine, theirs] = await Promise.all([lstat(src), lstat(dst).catch(() => undefined)]);
    if (!theirs) {
      moves.push({ from: src, to: dst });
    } else if (mine.isDirectory() && theirs.isDirectory()) {
      await plan(src, dst, shown, overwrite, moves);
    } else if (mine.isDirectory() || theirs.isDirectory()) {
      const why = theirs.isSymbolicLink() ? "is a symlink there (idp never extracts through one)" : theirs.isDirectory() ? "is a directory there" : "is a file there";
      throw new InvalidInputError(`cannot extract ${JSON.stringify(shown)} into ${to}: it ${why}`);
    } else if (!overwrite) {
      throw new AlreadyExistsError(`cannot extract ${JSON.stringify(shown)}: it exists in ${to}`, { hint: "pass --overwrite to replace existing files" });
    } else {
      moves.push({ from: src, to: dst });
    }
  }
}
