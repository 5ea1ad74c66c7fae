import { describe, expect, test } from "bun:test";
import { InvalidInputError, RegistryResponseError, redactUrl } from "../../src/errors/index.ts";
import { parseChallenges } from "../../src/remote/auth/challenge.ts";
import { mergeScopes } from "../../src/remote/auth/scope.ts";
import { nextLink } from "../../src/remote/listing.ts";
import { referrersTag } from "../../src/remote/referrers.ts";
import { backoffDelay, parseRetryAfter, retryPolicy } from "../../src/remote/retry/policy.ts";
import { isLoopback, resolveEndpoint } from "../../src/remote/transport/endpoint.ts";
import { proxyFor } from "../../src/remote/transport/proxy.ts";

describe("WWW-Authenticate parsing", () => {
  test("Bearer with quoted parameters, names lower-cased", () => {
    expect(parseChallenges('Bearer Realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull,push" } },
    ]);
  });
  test("two challenges joined by fetch's Headers (Gitea sends Bearer then Basic)", () => {
    const joined = 'Bearer realm="https://git.example/v2/token",service="container_registry", Basic realm="Gitea"';
    expect(parseChallenges(joined)).toEqual([
      { scheme: "bearer", params: { realm: "https://git.example/v2/token", service: "container_registry" } },
      { scheme: "basic", params: { realm: "Gitea" } },
    ]);
  });
  test("escapes in quoted strings, token values, spaces around =, token68", () => {
    expect(parseChallenges('Basic realm="a \\"quoted\\" realm" , charset = UTF-8')).toEqual([
      { scheme: "basic", params: { realm: 'a "quoted" realm', charset: "UTF-8" } },
    ]);
    expect(parseChallenges("Negotiate abc123==, Basic realm=x")).toEqual([
      { scheme: "negotiate", params: { "": "abc123==" } },
      { scheme: "basic", params: { realm: "x" } },
    ]);
    expect(parseChallenges("Basic")).toEqual([{ scheme: "basic", params: {} }]);
    expect(parseChallenges(null)).toEqual([]);
  });
  test("commas inside quoted values do not split challenges", () => {
    expect(parseChallenges('Bearer realm="https://a/t",scope="repository:x:pull,push",error="insufficient_scope"')[0]!.params.scope).toBe("repository:x:pull,push");
  });
});

describe("scopes", () => {
  test("merged per resource with sorted actions", () => {
    expect(mergeScopes(["repository:a:push", "repository:a:pull", "repository:b:pull", "registry:catalog:*"])).toEqual([
      "registry:catalog:*",
      "repository:a:pull,push",
      "repository:b:pull",
    ]);
    expect(mergeScopes(["repository:a:pull repository:c:pull"])).toEqual(["repository:a:pull", "repository:c:pull"]);
  });
});

describe("retry policy as data", () => {
  test("defaults, environment, overrides", () => {
    expect(retryPolicy({})).toMatchObject({ retries: 3, timeoutMs: 300_000 });
    expect(retryPolicy({ IDP_OCI_RETRY_COUNT: "7", IDP_OCI_TIMEOUT: "12" })).toMatchObject({ retries: 7, timeoutMs: 12_000 });
    expect(retryPolicy({ IDP_OCI_RETRY_COUNT: "7" }, { retries: 0 }).retries).toBe(0);
    expect(() => retryPolicy({ IDP_OCI_RETRY_COUNT: "lots" })).toThrow(InvalidInputError);
    expect(() => retryPolicy({ IDP_OCI_TIMEOUT: "0" })).toThrow(InvalidInputError);
  });
  test("exponential backoff with full jitter, capped; Retry-After wins when longer", () => {
    const policy = { retries: 3, timeoutMs: 1000, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1, undefined, () => 0.999)).toBe(99);
    expect(backoffDelay(policy, 3, undefined, () => 0.999)).toBe(399);
    expect(backoffDelay(policy, 10, undefined, () => 0.999)).toBe(999);
    expect(backoffDelay(policy, 1, undefined, () => 0)).toBe(0);
    expect(backoffDelay(policy, 1, 500, () => 0.5)).toBe(500);
    expect(backoffDelay(policy, 1, 60_000, () => 0.5)).toBe(1000);
  });
  test("Retry-After as seconds or HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:05 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("endpoints: TLS by default, plain HTTP only for loopback", () => {
  test("loopback as Docker counts it", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST", "a.localhost"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["128.0.0.1", "10.0.0.1", "example.com", "localhost.example.com", "::2"]) expect(isLoopback(h)).toBe(false);
  });
  test("schemes", async () => {
    expect((await resolveEndpoint("ghcr.io")).base).toBe("https://ghcr.io");
    expect((await resolveEndpoint("ghcr.io")).tls).toEqual({ rejectUnauthorized: true });
    expect((await resolveEndpoint("127.0.0.1:5000")).base).toBe("http://127.0.0.1:5000");
    expect((await resolveEndpoint("[::1]:5000")).base).toBe("http://[::1]:5000");
    expect((await resolveEndpoint("localhost:5000", { plainHttp: false })).base).toBe("https://localhost:5000");
    expect((await resolveEndpoint("docker.io")).base).toBe("https://registry-1.docker.io");
    await expect(resolveEndpoint("registry.example:5000", { plainHttp: true })).rejects.toBeInstanceOf(InvalidInputError);
    expect((await resolveEndpoint("registry.example:5000", { plainHttp: true, insecure: true })).base).toBe("http://registry.example:5000");
    expect((await resolveEndpoint("registry.example", { insecure: true })).tls).toEqual({ rejectUnauthorized: false });
    await expect(resolveEndpoint("registry.example", { caFile: "/nonexistent/ca.pem" })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(resolveEndpoint("user:pw@evil")).rejects.toThrow();
    await expect(resolveEndpoint("host/path")).rejects.toThrow();
  });
});

describe("proxies from the environment", () => {
  const env = { HTTPS_PROXY: "http://proxy:3128", HTTP_PROXY: "http://plain-proxy:3128", NO_PROXY: "internal.example,.corp,10.1.2.3,svc:8443" };
  test("scheme picks the variable; loopback and NO_PROXY go direct", () => {
    expect(proxyFor(new URL("https://ghcr.io/v2/"), env)).toBe("http://proxy:3128");
    expect(proxyFor(new URL("http://registry.example/v2/"), env)).toBe("http://plain-proxy:3128");
    expect(proxyFor(new URL("http://127.0.0.1:5000/v2/"), env)).toBe(false);
    expect(proxyFor(new URL("http://localhost:5000/v2/"), env)).toBe(false);
    expect(proxyFor(new URL("https://internal.example/v2/"), env)).toBe(false);
    expect(proxyFor(new URL("https://reg.internal.example/v2/"), env)).toBe(false);
    expect(proxyFor(new URL("https://a.corp/v2/"), env)).toBe(false);
    expect(proxyFor(new URL("https://10.1.2.3/v2/"), env)).toBe(false);
    expect(proxyFor(new URL("https://svc:8443/v2/"), env)).toBe(false);
    expect(proxyFor(new URL("https://svc/v2/"), env)).toBe("http://proxy:3128");
    expect(proxyFor(new URL("https://ghcr.io/v2/"), { https_proxy: "http://lower:1" })).toBe("http://lower:1");
    expect(proxyFor(new URL("https://ghcr.io/v2/"), { ...env, NO_PROXY: "*" })).toBe(false);
    expect(proxyFor(new URL("https://ghcr.io/v2/"), {})).toBe(false);
  });
});

describe("errors are one line without secrets", () => {
  test("URLs lose user info and query values", () => {
    expect(redactUrl("https://user:hunter2@s3.example/b?X-Amz-Signature=abc&digest=sha256:1")).toBe("https://s3.example/b?X-Amz-Signature=redacted&digest=sha256%3A1");
  });
  test("RegistryResponseError message", () => {
    const e = new RegistryResponseError({ method: "GET", url: "https://u:p@r.example/v2/a/manifests/1?_state=secret", status: 404, codes: ["MANIFEST_UNKNOWN"], messages: ["manifest\nunknown"] });
    expect(e.message).toBe("GET https://r.example/v2/a/manifests/1?_state=redacted: 404 MANIFEST_UNKNOWN (manifest unknown)");
    expect(e.message).not.toContain("secret");
  });
});

describe("small grammar helpers", () => {
  test("Link rel=next", () => {
    const base = new URL("http://r/v2/a/tags/list?n=2");
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base)?.toString()).toBe("http://r/v2/a/tags/list?n=2&last=b");
    expect(nextLink('<http://other/x>; rel="prev", </y>; rel=next', base)?.toString()).toBe("http://r/y");
    expect(nextLink(null, base)).toBeUndefined();
  });
  test("referrers tag schema", () => {
    expect(referrersTag(`sha256:${"a".repeat(64)}`)).toBe(`sha256-${"a".repeat(64)}`);
    expect(referrersTag(`sha512:${"b".repeat(128)}`)).toBe(`sha512-${"b".repeat(64)}`);
  });
});
