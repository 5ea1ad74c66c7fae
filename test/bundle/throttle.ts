/**
 * A stand-in for a slow network link (named as such: the registries behind it are real): an
 * HTTP proxy on 127.0.0.1 in front of a registry that passes every request and answer
 * through, limiting blob bodies in both directions to `bytesPerSecond`, and rewriting
 * upload `Location`s so that uploads keep going through it. What lets a test stop a transfer
 * in the middle without racing it.
 */
export interface Throttle {
  host: string;
  url: string;
  /** Blob bytes that went through so far, both ways. */
  bytes(): number;
  stop(): Promise<void>;
}

export function startThrottle(upstream: string, bytesPerSecond: number): Throttle {
  const origin = new URL(upstream).origin;
  let moved = 0;
  const slow = (body: ReadableStream<Uint8Array>) =>
    body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        async transform(chunk, out) {
          for (let offset = 0; offset < chunk.byteLength; offset += 64 * 1024) {
            const piece = chunk.subarray(offset, offset + 64 * 1024);
            await Bun.sleep((piece.byteLength / bytesPerSecond) * 1000);
            moved += piece.byteLength;
            out.enqueue(piece);
          }
        },
      }),
    );
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 120,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    async fetch(req) {
      const url = new URL(req.url);
      const blobish = url.pathname.includes("/blobs/");
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.body && blobish ? slow(req.body) : req.body;
      const res = await fetch(`${origin}${url.pathname}${url.search}`, { method: req.method, headers, body, redirect: "manual", decompress: false } as RequestInit);
      const out = new Headers(res.headers);
      const location = out.get("location");
      if (location?.startsWith(origin)) out.set("location", `http://127.0.0.1:${server.port}${location.slice(origin.length)}`);
      out.delete("content-encoding");
      const resBody = res.body && blobish && req.method === "GET" ? slow(res.body) : res.body;
      return new Response(resBody, { status: res.status, headers: out });
    },
  });
  return {
    host: `127.0.0.1:${server.port}`,
    url: `http://127.0.0.1:${server.port}`,
    bytes: () => moved,
    stop: async () => {
      await server.stop(true);
    },
  };
}
