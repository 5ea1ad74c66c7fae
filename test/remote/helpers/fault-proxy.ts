/**
 * FAULT-INJECTING STAND-IN PROXY for tests: an HTTP proxy on 127.0.0.1 in front of a real
 * registry that, by rules, answers 500/429 instead of forwarding, cuts a request or response
 * body off after some bytes (the connection resets), or stalls it (bytes stop, the connection
 * stays open). Each rule fires `times` times, then the proxy forwards faithfully. It records
 * every request so tests can check what the client did (resumed with Range, asked for the
 * upload offset, did not start over).
 */
export interface FaultRule {
  method?: string;
  /** Matched against the path and query. */
  path?: RegExp;
  /** How many matching requests it affects (default 1). */
  times?: number;
  /** Matching requests to let through before it starts firing (default 0). */
  skip?: number;
  action:
    | { kind: "status"; status: number; retryAfter?: string }
    | { kind: "cut-response" | "stall-response" | "cut-request" | "stall-request" | "flip-response"; afterBytes: number };
}

export interface FaultProxy {
  url: string;
  host: string;
  rules: FaultRule[];
  /** Extra headers for forwarded responses (e.g. to announce OCI-Chunk-Min-Length). */
  responseHeaders?: (method: string, path: string) => Record<string, string> | undefined;
  log: { method: string; path: string; range: string | null; contentRange: string | null; fault: string | undefined; requestBytes: number }[];
  stop(): void;
}

/** `tls` makes it an HTTPS front (a TLS-terminating stand-in) for certificate tests. */
export function startFaultProxy(upstream: string, options: { tls?: { cert: string; key: string } } = {}): FaultProxy {
  const state: FaultProxy = { url: "", host: "", rules: [], log: [], stop: () => server.stop(true) };
  const counters = new Map<FaultRule, { seen: number; fired: number }>();

  const pick = (method: string, path: string): FaultRule | undefined => {
    for (const rule of state.rules) {
      if (rule.method && rule.method !== method) continue;
      if (rule.path && !rule.path.test(path)) continue;
      const c = counters.get(rule) ?? { seen: 0, fired: 0 };
      counters.set(rule, c);
      c.seen++;
      if (c.seen <= (rule.skip ?? 0) || c.fired >= (rule.times ?? 1)) continue;
      c.fired++;
      return rule;
    }
    return undefined;
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 0,
    ...(options.tls ? { tls: options.tls } : {}),
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname + url.search;
      const rule = pick(req.method, path);
      const entry = { method: req.method, path, range: req.headers.get("range"), contentRange: req.headers.get("content-range"), fault: rule?.action.kind, requestBytes: 0 };
      state.log.push(entry);
      const action = rule?.action;
      if (action?.kind === "status") {
        await req.body?.cancel().catch(() => {});
        return Response.json({ errors: [{ code: action.status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN", message: "injected fault" }] }, {
          status: action.status,
          headers: action.retryAfter ? { "Retry-After": action.retryAfter } : {},
        });
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      headers.delete("connection");
      const upstreamAbort = new AbortController();
      req.signal.addEventListener("abort", () => upstreamAbort.abort(), { once: true });
      let body: ReadableStream<Uint8Array> | null = req.body;
      if (body) {
        body = meter(body, (n) => (entry.requestBytes += n));
        if (action?.kind === "cut-request") body = cut(body, action.afterBytes);
        if (action?.kind === "stall-request") body = stall(body, action.afterBytes);
      }
      let res: Response;
      try {
        res = await fetch(upstream + path, { method: req.method, headers, body, redirect: "manual", decompress: false, signal: upstreamAbort.signal, proxy: false } as BunFetchRequestInit);
      } catch {
        return brokenResponse();
      }
      const out = new Headers(res.headers);
      for (const [k, v] of Object.entries(state.responseHeaders?.(req.method, path) ?? {})) out.set(k, v);
      let resBody = res.body;
      if (resBody && action?.kind === "cut-response") resBody = cut(resBody, action.afterBytes);
      if (resBody && action?.kind === "stall-response") resBody = stall(resBody, action.afterBytes);
      if (resBody && action?.kind === "flip-response") resBody = flip(resBody, action.afterBytes);
      return new Response(req.method === "HEAD" ? null : resBody, { status: res.status, headers: out });
    },
  });
  state.url = `${options.tls ? "https" : "http"}://127.0.0.1:${server.port}`;
  state.host = `127.0.0.1:${server.port}`;
  return state;
}

/** A response that resets the connection before anything is sent. */
function brokenResponse(): Response {
  return new Response(new ReadableStream({ pull: (c) => c.error(new Error("injected: connection cut")) }));
}

function meter(body: ReadableStream<Uint8Array>, onBytes: (n: number) => void): ReadableStream<Uint8Array> {
  return body.pipeThrough(new TransformStream({ transform(chunk, out) { onBytes(chunk.byteLength); out.enqueue(chunk); } }));
}

/** Inverts the byte at offset `at` (content damaged on the way; the length is right). */
function flip(body: ReadableStream<Uint8Array>, at: number): ReadableStream<Uint8Array> {
  let passed = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        if (at >= passed && at < passed + chunk.byteLength) {
          const copy = new Uint8Array(chunk);
          copy[at - passed] = copy[at - passed]! ^ 0xff;
          chunk = copy;
        }
        passed += chunk.byteLength;
        out.enqueue(chunk);
      },
    }),
  );
}

/** Passes `after` bytes, then errors (the peer sees the connection break). */
function cut(body: ReadableStream<Uint8Array>, after: number): ReadableStream<Uint8Array> {
  let passed = 0;
  const reader = body.getReader();
  return new ReadableStream({
    async pull(c) {
      const { done, value } = await reader.read();
      if (done) return c.close();
      if (passed + value.byteLength > after) {
        const head = value.subarray(0, after - passed);
        if (head.byteLength > 0) c.enqueue(head);
        passed = after;
        await reader.cancel().catch(() => {});
        c.error(new Error("injected: connection cut"));
        return;
      }
      passed += value.byteLength;
      c.enqueue(value);
    },
    cancel: () => reader.cancel().catch(() => {}),
  });
}

/** Passes `after` bytes, then never sends another (until cancelled). */
function stall(body: ReadableStream<Uint8Array>, after: number): ReadableStream<Uint8Array> {
  let passed = 0;
  const reader = body.getReader();
  return new ReadableStream({
    async pull(c) {
      if (passed >= after) return new Promise<void>(() => {});
      const { done, value } = await reader.read();
      if (done) return c.close();
      const head = passed + value.byteLength > after ? value.subarray(0, after - passed) : value;
      passed += head.byteLength;
      c.enqueue(head);
    },
    cancel: () => reader.cancel().catch(() => {}),
  }, { highWaterMark: 0 });
}
