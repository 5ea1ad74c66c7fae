/**
 * Path rules shared by packing and extraction, so that whatever idp packs, idp extracts.
 * Paths in archives are relative, `/`-separated, without `..`; symlink targets are relative,
 * may climb only with leading `..` and must stay inside the archive root.
 */

/**
 * The components of an archive entry path, or why it is refused. `.` and empty components
 * are dropped (`./a//b` is `a/b`); the root itself (`.`, `./`) has no components.
 *
 * @example entryComponents("./etc/app.yaml") // { parts: ["etc", "app.yaml"] }
 */
export function entryComponents(path: string): { parts: string[] } | { problem: string } {
  if (path.includes("\0")) return { problem: "path contains a NUL byte" };
  if (path.startsWith("/")) return { problem: "path is absolute" };
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return { problem: "path contains '..'" };
  return { parts };
}

/**
 * Why a symlink at `entry` (components) pointing at `target` would leave the archive root,
 * or undefined when it stays inside. A `..` after a name is refused even when it would
 * resolve inside lexically: through another symlink it could climb further.
 *
 * @example symlinkProblem(["bin", "tool"], "../lib/tool") // undefined
 */
export function symlinkProblem(entry: readonly string[], target: string): string | undefined {
  if (target === "") return "symlink target is empty";
  if (target.includes("\0")) return "symlink target contains a NUL byte";
  if (target.startsWith("/")) return `symlink target ${JSON.stringify(target)} is absolute`;
  let climbs = 0;
  let named = false;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (named) return `symlink target ${JSON.stringify(target)} has '..' after a name`;
      climbs++;
    } else {
      named = true;
    }
  }
  if (climbs > entry.length - 1) return `symlink target ${JSON.stringify(target)} points outside the archive`;
  return undefined;
}
