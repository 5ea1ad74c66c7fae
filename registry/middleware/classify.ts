import type { Action } from "../auth/policy.ts";

/** Route labels for metrics and the access log (a closed set, so metrics stay bounded). */
export type RouteLabel =
  | "base"
  | "catalog"
  | "blob"
  | "manifest"
  | "upload"
  | "tags"
  | "referrers"
  | "token"
  | "healthz"
  | "readyz"
  | "metrics"
  | "other";

/** What a request is, worked out once from its method and raw path. */
export interface RequestKind {
  route: RouteLabel;
  /** The repository named in the path (not yet validated; the route does that). */
  repository?: string;
  /** What the client must be allowed to do on `repository`. */
  action?: Action;
  /** Under /v2/ and changes something: refused in read-only mode. */
  write: boolean;
  /** Under /v2/: authentication applies. */
  api: boolean;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The API's repository routes, in the order the app registers them. */
const ROUTES: [RegExp, RouteLabel][] = [
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, "upload"],
  [/^\/v2\/(.+)\/blobs\/uploads\/[^/]+$/, "upload"],
  [/^\/v2\/(.+)\/blobs\/[^/]+$/, "blob"],
  [/^\/v2\/(.+)\/manifests\/[^/]+$/, "manifest"],
  [/^\/v2\/(.+)\/tags\/list$/, "tags"],
  [/^\/v2\/(.+)\/referrers\/[^/]+$/, "referrers"],
];

/**
 * Classifies a request by method and raw path (no percent-decoding, like the routes).
 *
 * @example classify("PUT", "/v2/team/app/manifests/v1") // { route: "manifest", repository: "team/app", action: "create", … }
 */
export function classify(method: string, path: string): RequestKind {
  if (!path.startsWith("/v2/") && path !== "/v2") {
    const route: RouteLabel =
      path === "/auth/token" ? "token" : path === "/healthz" ? "healthz" : path === "/readyz" ? "readyz" : path === "/metrics" ? "metrics" : "other";
    return { route, write: false, api: false };
  }
  const write = WRITE_METHODS.has(method);
  if (path === "/v2/" || path === "/v2") return { route: "base", write, api: true };
  if (path === "/v2/_catalog") return { route: "catalog", write, api: true };
  const read = method === "GET" || method === "HEAD";
  // Anchored at the end and greedy on the name, exactly as the routes match and as
  // repoName() cuts (the last marker wins), so a repository named `team/blobs/uploads/app`
  // is authorised as itself, never as `team`. Upload routes are registered first, so here too.
  for (const [pattern, route] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const repository = match[1]!;
    const action: Action | undefined =
      route === "upload" ? "create" : read ? "read" : method === "DELETE" && route !== "tags" && route !== "referrers" ? "delete" : route === "manifest" && method === "PUT" ? "create" : undefined;
    return { route, repository, ...(action ? { action } : {}), write, api: true };
  }
  return { route: "other", write, api: true };
}
