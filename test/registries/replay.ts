import { expect } from "bun:test";

/**
 * REPLAY STAND-IN for hosted registry services (Docker Hub, Harbor, Gitea, GHCR, ECR, ACR),
 * which cannot run here. It serves, on 127.0.0.1, the HTTP exchanges written in
 * test/registries/fixtures from each service's public API documentation (every exchange
 * names its source), and checks the requests idp makes against them: method, path, query,
 * required headers and body. A request no exchange matches is answered 501 and recorded,
 * and `assertAllUsed` fails the test for unmatched requests and for exchanges idp never made.
 * It is a stand-in for the services' documented behaviour, not the services.
 */
export interface Exchange {
  /** The public documentation this exchange was written from. */
  source: string;
  request: {
    method: string;
    path: string;
    /** Query parameters that must be present with these values (others may be too). */
    query?: Record<string, string>;
    /** Headers that must be present, matching exactly or by pattern (names lower-case). */
    headers?: Record<string, string | RegExp>;
    /** A check of the request body (JSON bodies are parsed first). */
    body?: (body: unknown, raw: string) => boolean;
  };
  response: {
    status: number;
    headers?: Record<string, string>;
    json?: unknown;
    text?: string;
  };
  /** May be answered any number of times (default: once). */
  repeat?: boolean;
}

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export interface Replay {
  url: string;
  host: string;
  requests: Recorded[];
  unmatched: Recorded[];
  /** Fails unless every request matched and every non-repeating exchange was used. */
  assertAllUsed(): void;
  stop(): Promise<void>;
}

/**
 * Starts a replay of `exchanges`; `{{base}}` in response bodies and headers becomes the
 * server's own URL (so `next` links and token realms point back at it).
 *
 * @example const hub = await startReplay(dockerHubExchanges); … hub.assertAllUsed(); await hub.stop();
 */
export async function startReplay(exchanges: Exchange[]): Promise<Replay> {
  const used = new Set<number>();
  const requests: Recorded[] = [];
  const unmatched: Recorded[] = [];
  let base = "";
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const raw = await req.text();
      const recorded: Recorded = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries([...req.headers].map(([k, v]) => [k.toLowerCase(), v])),
        body: raw,
      };
      requests.push(recorded);
      const index = exchanges.findIndex((x, i) => (x.repeat || !used.has(i)) && matches(x, recorded));
      if (index === -1) {
        unmatched.push(recorded);
        return new Response(`replay: no exchange matches ${req.method} ${url.pathname}${url.search}`, { status: 501 });
      }
      used.add(index);
      const { response } = exchanges[index]!;
      const fill = (text: string) => text.replaceAll("{{base}}", base);
      const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k, fill(v)]));
      if (response.json !== undefined) {
        return new Response(fill(JSON.stringify(response.json)), { status: response.status, headers: { "Content-Type": "application/json", ...headers } });
      }
      return new Response(response.text === undefined ? null : fill(response.text), { status: response.status, headers });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
  return {
    url: base,
    host: `127.0.0.1:${server.port}`,
    requests,
    unmatched,
    assertAllUsed() {
      expect(unmatched.map((r) => `${r.method} ${r.path}`)).toEqual([]);
      const missing = exchanges.map((x, i) => ({ x, i })).filter(({ x, i }) => !x.repeat && !used.has(i)).map(({ x }) => `${x.request.method} ${x.request.path}`);
      expect(missing).toEqual([]);
    },
    async stop() {
      await server.stop(true);
    },
  };
}

function matches(x: Exchange, r: Recorded): boolean {
  if (x.request.method !== r.method || x.request.path !== r.path) return false;
  for (const [k, v] of Object.entries(x.request.query ?? {})) if (r.query[k] !== v) return false;
  for (const [k, v] of Object.entries(x.request.headers ?? {})) {
    const got = r.headers[k];
    if (got === undefined || (typeof v === "string" ? got !== v : !v.test(got))) return false;
  }
  if (x.request.body) {
    let parsed: unknown = r.body;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      // Not JSON: the check gets the text.
    }
    if (!x.request.body(parsed, r.body)) return false;
  }
  return true;
}
