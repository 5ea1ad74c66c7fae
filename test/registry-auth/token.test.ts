import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errorCodes, makeImage, randomContent } from "../helpers/oci.ts";
import { basic, challengeParams, pushBlobAs, pushImageAs, startAuthRegistry, type AuthRegistry } from "./setup.ts";

/**
 * The Docker token flow against idp's own /auth/token: challenges, GET and POST token
 * requests, scopes limited by the access rules, tokens checked on every request, rate limits.
 */
const USERS = { ann: "ann-pw", bob: "bob-pw" };
const ACCESS = [
  { repositories: ["team/**"], users: ["ann"], actions: ["*"] },
  { repositories: ["team/**"], users: ["bob"], actions: ["read"] },
];

async function token(base: string, scopes: string[], headers: Record<string, string> = {}): Promise<{ status: number; token?: string; body: Record<string, unknown> }> {
  const query = new URLSearchParams({ service: "idp-registry" });
  for (const s of scopes) query.append("scope", s);
  const res = await fetch(`${base}/auth/token?${query}`, { headers });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, token: body.token as string | undefined, body };
}

function claimsOf(jwt: string): { sub: string; access: { name: string; actions: string[] }[]; exp: number; iat: number } {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());
}

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe("token authentication", () => {
  let reg: AuthRegistry;
  let base: string;
  beforeAll(async () => {
    reg = await startAuthRegistry(USERS, { "auth.type": "token", access: ACCESS, "auth.token.rateLimit": { requests: 1000 } });
    base = reg.url;
  });
  afterAll(async () => {
    await reg?.stop();
  });

  test("a 401 carries a Bearer challenge naming the realm on this host, the service and the scope", async () => {
    const ping = await fetch(`${base}/v2/`);
    expect(ping.status).toBe(401);
    const params = challengeParams(ping.headers.get("www-authenticate"));
    expect(ping.headers.get("www-authenticate")).toStartWith("Bearer ");
    expect(params).toEqual({ realm: `${base}/auth/token`, service: "idp-registry" });
    const pull = await fetch(`${base}/v2/team/app/manifests/v1`);
    expect(challengeParams(pull.headers.get("www-authenticate")).scope).toBe("repository:team/app:pull");
    const push = await fetch(`${base}/v2/team/app/blobs/uploads/`, { method: "POST" });
    expect(challengeParams(push.headers.get("www-authenticate")).scope).toBe("repository:team/app:pull,push");
  });

  test("GET with Basic credentials issues a short-lived token scoped to what the rules allow", async () => {
    const t = await token(base, ["repository:team/app:pull,push,delete", "repository:other/x:pull", "registry:catalog:*"], basic("ann", USERS.ann));
    expect(t.status).toBe(200);
    expect(t.body.access_token).toBe(t.token);
    expect(t.body.expires_in).toBe(300);
    const claims = claimsOf(t.token!);
    expect(claims.sub).toBe("ann");
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.access).toEqual([
      { type: "repository", name: "team/app", actions: ["pull", "push", "delete"] },
      { type: "registry", name: "catalog", actions: ["*"] },
    ] as never);
    const bobs = claimsOf((await token(base, ["repository:team/app:pull,push"], basic("bob", USERS.bob))).token!);
    expect(bobs.access).toEqual([{ type: "repository", name: "team/app", actions: ["pull"] }] as never);
  });

  test("a token works only within its scopes: wider requests get 401 insufficient_scope, forbidden ones 403", async () => {
    const pullOnly = (await token(base, ["repository:team/app:pull"], basic("ann", USERS.ann))).token!;
    expect((await fetch(`${base}/v2/team/app/tags/list`, { headers: bearer(pullOnly) })).status).toBe(404);
    const push = await fetch(`${base}/v2/team/app/blobs/uploads/`, { method: "POST", headers: bearer(pullOnly) });
    expect(push.status).toBe(401);
    const params = challengeParams(push.headers.get("www-authenticate"));
    expect(params.error).toBe("insufficient_scope");
    expect(params.scope).toBe("repository:team/app:pull,push");
    const wider = (await token(base, [params.scope!], basic("ann", USERS.ann))).token!;
    expect(await pushImageAs(base, "team/app", "v1", makeImage(), bearer(wider))).toBe(201);
    const bobs = (await token(base, ["repository:team/app:pull,push"], basic("bob", USERS.bob))).token!;
    expect((await fetch(`${base}/v2/team/app/blobs/uploads/`, { method: "POST", headers: bearer(bobs) })).status).toBe(403);
    expect((await fetch(`${base}/v2/team/app/manifests/v1`, { headers: bearer(bobs) })).status).toBe(200);
    expect((await fetch(`${base}/v2/_catalog`, { headers: bearer(wider) })).status).toBe(401);
  });

  test("a mount names its source's scope in the challenge; with it the mount succeeds", async () => {
    const blob = randomContent(1000);
    const all = (await token(base, ["repository:team/src:pull,push", "repository:team/dst:pull,push"], basic("ann", USERS.ann))).token!;
    expect(await pushBlobAs(base, "team/src", blob, bearer(all))).toBe(201);
    const dstOnly = (await token(base, ["repository:team/dst:pull,push"], basic("ann", USERS.ann))).token!;
    const first = await fetch(`${base}/v2/team/dst/blobs/uploads/?mount=${blob.digest}&from=team/src`, { method: "POST", headers: bearer(dstOnly) });
    expect(first.status).toBe(401);
    expect(challengeParams(first.headers.get("www-authenticate")).scope).toBe("repository:team/dst:pull,push repository:team/src:pull");
    const second = await fetch(`${base}/v2/team/dst/blobs/uploads/?mount=${blob.digest}&from=team/src`, { method: "POST", headers: bearer(all) });
    expect(second.status).toBe(201);
  });

  test("a registry:catalog:* token lists the repositories the rules let its user read", async () => {
    const all = (await token(base, ["repository:team/listed:pull,push"], basic("ann", USERS.ann))).token!;
    expect(await pushImageAs(base, "team/listed", "v1", makeImage(), bearer(all))).toBe(201);
    const catalog = (await token(base, ["registry:catalog:*"], basic("bob", USERS.bob))).token!;
    const res = await fetch(`${base}/v2/_catalog`, { headers: bearer(catalog) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { repositories: string[] }).repositories).toContain("team/listed");
    const anonymous = (await token(base, ["registry:catalog:*"])).token!;
    expect((await fetch(`${base}/v2/_catalog`, { headers: bearer(anonymous) })).status).toBe(401);
  });

  test("anonymous token requests get tokens that grant nothing here; bad credentials get 401", async () => {
    const anonymous = await token(base, ["repository:team/app:pull"]);
    expect(anonymous.status).toBe(200);
    expect(claimsOf(anonymous.token!).access).toEqual([]);
    expect((await fetch(`${base}/v2/team/app/tags/list`, { headers: bearer(anonymous.token!) })).status).toBe(401);
    const bad = await token(base, ["repository:team/app:pull"], basic("ann", "wrong"));
    expect(bad.status).toBe(401);
    expect(bad.token).toBeUndefined();
  });

  test("POST with an OAuth2 password grant issues a token; other grants and forms are 400", async () => {
    const form = (fields: Record<string, string>) =>
      fetch(`${base}/auth/token`, { method: "POST", body: new URLSearchParams(fields), headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    const ok = await form({ grant_type: "password", username: "ann", password: USERS.ann, service: "idp-registry", scope: "repository:team/app:pull", client_id: "containerd-client" });
    expect(ok.status).toBe(200);
    expect(claimsOf(((await ok.json()) as { access_token: string }).access_token).access).toEqual([{ type: "repository", name: "team/app", actions: ["pull"] }] as never);
    expect((await form({ grant_type: "password", username: "ann", password: "nope" })).status).toBe(401);
    expect((await form({ grant_type: "refresh_token", refresh_token: "x" })).status).toBe(400);
    const json = await fetch(`${base}/auth/token`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    expect(json.status).toBe(400);
  });

  test("tokens for another service, from another registry's key, or mangled are refused", async () => {
    expect((await fetch(`${base}/auth/token?service=elsewhere`, { headers: basic("ann", USERS.ann) })).status).toBe(400);
    const other = await startAuthRegistry(USERS, { "auth.type": "token", access: ACCESS });
    try {
      const foreign = (await token(other.url, ["repository:team/app:pull"], basic("ann", USERS.ann))).token!;
      const res = await fetch(`${base}/v2/team/app/manifests/v1`, { headers: bearer(foreign) });
      expect(res.status).toBe(401);
      expect(challengeParams(res.headers.get("www-authenticate")).error).toBe("invalid_token");
      expect(await errorCodes(res)).toEqual(["UNAUTHORIZED"]);
    } finally {
      await other.stop();
    }
    const good = (await token(base, ["repository:team/app:pull"], basic("ann", USERS.ann))).token!;
    expect((await fetch(`${base}/v2/team/app/manifests/v1`, { headers: bearer(`${good}x`) })).status).toBe(401);
  });

  test("a token stops working when it expires, also after it was verified and remembered", async () => {
    const short = await startAuthRegistry(USERS, { "auth.type": "token", access: ACCESS, "auth.token.ttl": "10s" });
    try {
      const t = (await token(short.url, ["repository:team/app:pull"], basic("ann", USERS.ann))).token!;
      expect(claimsOf(t).exp - claimsOf(t).iat).toBe(10);
      expect((await fetch(`${short.url}/v2/team/app/tags/list`, { headers: bearer(t) })).status).toBe(404);
      await Bun.sleep(Math.max(0, claimsOf(t).exp * 1000 - Date.now()) + 200);
      const expired = await fetch(`${short.url}/v2/team/app/tags/list`, { headers: bearer(t) });
      expect(expired.status).toBe(401);
      expect(challengeParams(expired.headers.get("www-authenticate")).error).toBe("invalid_token");
    } finally {
      await short.stop();
    }
  }, 20_000);

  test("the token endpoint is rate-limited per client: 429 with Retry-After", async () => {
    const limited = await startAuthRegistry(USERS, { "auth.type": "token", "auth.token.rateLimit": { requests: 3, per: "1m" } });
    try {
      for (let i = 0; i < 3; i++) expect((await token(limited.url, [])).status).toBe(200);
      const res = await fetch(`${limited.url}/auth/token?service=idp-registry`);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await errorCodes(res)).toEqual(["TOOMANYREQUESTS"]);
    } finally {
      await limited.stop();
    }
  });
});
