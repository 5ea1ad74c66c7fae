/**
 * A counting pass-through in front of a real registry, for tests that must show how many
 * requests idp made (a second pull makes no blob requests). It forwards every request
 * unchanged and records method and path. Not a registry: the registry behind it is real.
 */
export interface CountingProxy {
  host: string;
  requests: { method: string; path: string }[];
  /** Requests for blobs (`/v2/<name>/blobs/<digest>`), uploads excluded. */
  blobReads(): number;
  reset(): void;
  stop(): Promise<void>;
}

export function startCountingProxy(upstream: string): CountingProxy {
  const requests: { method: string; path: string }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      requests.push({ method: req.method, path: url.pathname });
      const target = new URL(url.pathname + url.search, upstream);
      const body = req.method === "GET" || req.method === "HEAD" ? null : await req.arrayBuffer();
      const res = await fetch(target, { method: req.method, headers: req.headers, body, redirect: "manual", decompress: false } as RequestInit);
      const headers = new Headers(res.headers);
      const location = headers.get("location");
      if (location?.startsWith(upstream)) headers.set("location", location.replace(upstream, `http://127.0.0.1:${server.port}`));
      return new Response(req.method === "HEAD" ? null : res.body, { status: res.status, headers });
    },
  });
  return {
    host: `127.0.0.1:${server.port}`,
    requests,
    blobReads: () => requests.filter((r) => (r.method === "GET" || r.method === "HEAD") && /\/blobs\/sha256:/.test(r.path)).length,
    reset: () => void requests.splice(0),
    stop: async () => {
      await server.stop(true);
    },
  };
}
