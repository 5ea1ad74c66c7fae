import { ipVersion } from "../../util/ip.ts";
import { isLoopback } from "./endpoint.ts";

/**
 * The proxy for one request URL, from `HTTPS_PROXY`/`https_proxy` (https URLs),
 * `HTTP_PROXY`/`http_proxy` (http URLs) and `NO_PROXY`/`no_proxy`; `false` means direct.
 *
 * Decided here rather than left to Bun's fetch, which reads the same variables but sends
 * loopback requests through the proxy too (checked on Bun 1.4.5): registry clients in Go
 * (Docker, skopeo, oras, crane) never proxy loopback, and a local `idp serve` must stay
 * reachable on a corporate laptop with a proxy set. `NO_PROXY` entries: `*`, a host, a
 * `.suffix` or `suffix` (matching subdomains), optionally with `:port`; IP literals match
 * exactly.
 *
 * @example proxyFor(new URL("https://ghcr.io/v2/"), { HTTPS_PROXY: "http://proxy:3128" }) // "http://proxy:3128"
 */
export function proxyFor(url: URL, env: Record<string, string | undefined> = process.env): string | false {
  const hostname = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isLoopback(hostname)) return false;
  const proxy = url.protocol === "https:" ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy) return false;
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? "";
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  for (const raw of noProxy.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return false;
    const match = ipVersion(entry) ? [entry, entry] : /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[(.*)\]/, "$1"));
    const name = (match?.[1] ?? entry).replace(/^\*?\./, "");
    const entryPort = match?.[2];
    if (entryPort && entryPort !== port) continue;
    if (hostname === name || hostname.endsWith(`.${name}`)) return false;
  }
  return proxy;
}
