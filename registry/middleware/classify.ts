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
  const uploads = path.lastIndexOf("/blobs/uploads");
  if (uploads > 4 && (path.length === uploads + 14 || path[uploads + 14] === "/")) {
    return { route: "upload", repository: path.slice(4, uploads), action: "create", write, api: true };
  }
  for (const [marker, route] of [
    ["/blobs/", "blob"],
    ["/manifests/", "manifest"],
    ["/referrers/", "referrers"],
  ] as const) {
    const at = path.lastIndexOf(marker);
    if (at > 4 && !path.includes("/", at + marker.length)) {
      const action: Action | undefined = read ? "read" : method === "DELETE" ? "delete" : route === "manifest" && method === "PUT" ? "create" : undefined;
      return { route, repository: path.slice(4, at), ...(action ? { action } : {}), write, api: true };
    }
  }
  if (path.endsWith("/tags/list") && path.length > 14) return { route: "tags", repository: path.slice(4, -10), action: "read", write, api: true };
  return { route: "other", write, api: true };
}
