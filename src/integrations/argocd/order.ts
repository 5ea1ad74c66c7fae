/**
 * Dependencies before dependents, then by repository: the order Argo CD syncs a closure in,
 * and the order the plugin prints it in. Dependencies outside the list are ignored; a cycle
 * (which the resolver refuses anyway) cannot loop.
 *
 * @example orderByDependencies([{ repository: "r/app", dependencies: ["r/base"] }, { repository: "r/base", dependencies: [] }])
 */
export function orderByDependencies<T extends { repository: string; dependencies: readonly string[] }>(items: readonly T[]): T[] {
  const byRepo = new Map(items.map((t) => [t.repository, t]));
  const depth = new Map<string, number>();
  const depthOf = (t: T, seen: Set<string>): number => {
    const known = depth.get(t.repository);
    if (known !== undefined) return known;
    if (seen.has(t.repository)) return 0;
    seen.add(t.repository);
    const below = t.dependencies.map((r) => byRepo.get(r)).filter((d): d is T => d !== undefined);
    const value = below.length ? 1 + Math.max(...below.map((d) => depthOf(d, seen))) : 0;
    depth.set(t.repository, value);
    return value;
  };
  return [...items].sort((a, b) => depthOf(a, new Set()) - depthOf(b, new Set()) || (a.repository < b.repository ? -1 : 1));
}
