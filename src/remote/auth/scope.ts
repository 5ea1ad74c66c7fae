/**
 * Token scopes (`repository:library/alpine:pull,push`, `registry:catalog:*`): built per
 * operation, merged with what a challenge asks for, and keyed for the token cache.
 */

/** `repository:NAME:actions` for a repository and the actions an operation needs. */
export function repositoryScope(name: string, ...actions: string[]): string {
  return `repository:${name}:${actions.join(",")}`;
}

/** The scope `GET /v2/_catalog` needs. */
export const CATALOG_SCOPE = "registry:catalog:*";

/**
 * Merges scopes: one entry per resource with the union of its actions, sorted, so equal sets
 * of rights give equal cache keys whatever order they were asked in.
 *
 * @example mergeScopes(["repository:a:pull", "repository:a:push"]) // ["repository:a:pull,push"]
 */
export function mergeScopes(scopes: Iterable<string>): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    for (const one of scope.split(" ")) {
      const first = one.indexOf(":");
      const last = one.lastIndexOf(":");
      if (first < 0 || last === first) continue;
      const resource = one.slice(0, last);
      const actions = byResource.get(resource) ?? new Set<string>();
      for (const action of one.slice(last + 1).split(",")) if (action) actions.add(action);
      byResource.set(resource, actions);
    }
  }
  return [...byResource.entries()]
    .map(([resource, actions]) => `${resource}:${[...actions].sort().join(",")}`)
    .sort();
}
