import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errorCodes, makeImage, randomContent } from "../helpers/oci.ts";
import { basic, pushBlobAs, pushImageAs, startAuthRegistry, type AuthRegistry } from "./setup.ts";

/**
 * Basic authentication and access rules, request by request, against the registry app in this
 * process (memory store, real socket). The rules give: group team-a read+write on team-a/**,
 * a create-only robot there, bob read on shared/*, admin everything, anonymous read on public/*.
 */
const USERS = { ann: "ann-pw", robot: "robot-pw", bob: "bob-pw", admin: "admin-pw" };
const ACCESS = [
  { repositories: ["team-a/**"], groups: ["team-a"], actions: ["read", "write"] },
  { repositories: ["team-a/**"], users: ["robot"], actions: ["read", "create"] },
  { repositories: ["shared/*"], users: ["bob"], actions: ["read"] },
  { repositories: ["uploader"], users: ["bob"], actions: ["create"] },
  { repositories: ["public/*"], anonymous: true, actions: ["read"] },
  { repositories: ["**"], users: ["admin"], actions: ["*"] },
];
const ann = basic("ann", USERS.ann);
const robot = basic("robot", USERS.robot);
const bob = basic("bob", USERS.bob);
const admin = basic("admin", USERS.admin);

describe("basic authentication and access rules", () => {
  let reg: AuthRegistry;
  let base: string;
  beforeAll(async () => {
    reg = await startAuthRegistry(USERS, { access: ACCESS, "auth.groups": { "team-a": ["ann"] } });
    base = reg.url;
    for (const repo of ["team-a/app", "secret/x", "shared/lib", "public/tool"]) expect(await pushImageAs(base, repo, "v1", makeImage(), admin)).toBe(201);
  });
  afterAll(async () => {
    await reg?.stop();
  });

  test("GET /v2/ is 401 with a Basic challenge without or with wrong credentials, 200 with right ones", async () => {
    for (const headers of [{}, basic("ann", "wrong"), basic("nobody", "x"), { Authorization: "Basic !!!" }, { Authorization: "Negotiate abc" }]) {
      const res = await fetch(`${base}/v2/`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toStartWith("Basic realm=");
      expect(await errorCodes(res)).toEqual(["UNAUTHORIZED"]);
    }
    expect((await fetch(`${base}/v2/`, { headers: ann })).status).toBe(200);
  });

  test("_catalog needs a signed-in user and lists only what the caller may read (d-12)", async () => {
    expect((await fetch(`${base}/v2/_catalog`)).status).toBe(401);
    const list = async (headers: Record<string, string>, query = "") => (await (await fetch(`${base}/v2/_catalog${query}`, { headers })).json()) as { repositories: string[] };
    expect((await list(ann)).repositories).toEqual(["public/tool", "team-a/app"]);
    expect((await list(bob)).repositories).toEqual(["public/tool", "shared/lib"]);
    expect((await list(admin)).repositories).toEqual(["public/tool", "secret/x", "shared/lib", "team-a/app"]);
    const page = await fetch(`${base}/v2/_catalog?n=1`, { headers: ann });
    expect(((await page.json()) as { repositories: string[] }).repositories).toEqual(["public/tool"]);
    expect(page.headers.get("link")).toContain("last=public%2Ftool");
  });

  test("reads, pushes and deletes follow the rules: 401 for anonymous, 403 DENIED for signed-in users", async () => {
    expect((await fetch(`${base}/v2/team-a/app/manifests/v1`, { headers: ann })).status).toBe(200);
    expect((await fetch(`${base}/v2/team-a/app/manifests/v1`, { headers: bob })).status).toBe(403);
    const anonymous = await fetch(`${base}/v2/team-a/app/manifests/v1`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toStartWith("Basic");
    expect((await fetch(`${base}/v2/public/tool/manifests/v1`)).status).toBe(200);
    expect(await pushImageAs(base, "public/tool", "v2", makeImage(), {})).toBe(401);
    const denied = await fetch(`${base}/v2/shared/lib/blobs/uploads/`, { method: "POST", headers: bob });
    expect(denied.status).toBe(403);
    expect(await errorCodes(denied)).toEqual(["DENIED"]);
    expect(await pushImageAs(base, "team-a/new", "v1", makeImage(), ann)).toBe(201);
    expect((await fetch(`${base}/v2/team-a/new/manifests/v1`, { method: "DELETE", headers: ann })).status).toBe(403);
    expect((await fetch(`${base}/v2/team-a/new/manifests/v1`, { method: "DELETE", headers: admin })).status).toBe(202);
  });

  test("a repository whose name contains blobs/uploads is authorised as itself, not as its prefix", async () => {
    expect(await pushImageAs(base, "uploader/blobs/uploads/secret", "v1", makeImage(), admin)).toBe(201);
    const read = await fetch(`${base}/v2/uploader/blobs/uploads/secret/manifests/v1`, { headers: bob });
    expect(read.status).toBe(403);
    expect((await fetch(`${base}/v2/uploader/blobs/uploads/secret/tags/list`, { headers: bob })).status).toBe(403);
    expect(await pushImageAs(base, "uploader/blobs/uploads/secret", "v2", makeImage(), bob)).toBe(403);
    expect((await fetch(`${base}/v2/uploader/blobs/uploads/secret/manifests/v1`, { headers: admin })).status).toBe(200);
    expect((await fetch(`${base}/v2/uploader/blobs/uploads/`, { method: "POST", headers: bob })).status).toBe(202);
  });

  test("a create-only user may push new tags but not move an existing one, latest included (d-6)", async () => {
    const first = makeImage();
    expect(await pushImageAs(base, "team-a/robot", "v1", first, robot)).toBe(201);
    expect(await pushImageAs(base, "team-a/robot", "latest", first, robot)).toBe(201);
    expect(await pushImageAs(base, "team-a/robot", "v1", first, robot)).toBe(201);
    for (const tag of ["v1", "latest"]) {
      const other = makeImage();
      expect(await pushImageAs(base, "team-a/robot", tag, other, robot)).toBe(403);
    }
    const byDigestWithTag = makeImage();
    await pushImageAs(base, "team-a/robot", "v2", byDigestWithTag, robot);
    const digest = byDigestWithTag.manifest.digest;
    const moved = await fetch(`${base}/v2/team-a/robot/manifests/${digest}?tag=latest`, { method: "PUT", body: byDigestWithTag.manifest.bytes, headers: { ...robot, "Content-Type": byDigestWithTag.mediaType } });
    expect(moved.status).toBe(403);
    expect(await errorCodes(moved)).toEqual(["DENIED"]);
    const latest = await fetch(`${base}/v2/team-a/robot/manifests/latest`, { headers: robot });
    expect(latest.headers.get("docker-content-digest")).toBe(first.manifest.digest);
    expect(await pushImageAs(base, "team-a/robot", "latest", makeImage(), ann)).toBe(201);
  });

  test("mount only from repositories the caller may read; blobs are readable only where linked (d-4, d-5)", async () => {
    const secret = randomContent(2048);
    expect(await pushBlobAs(base, "secret/x", secret, admin)).toBe(201);
    const fromSecret = await fetch(`${base}/v2/team-a/app/blobs/uploads/?mount=${secret.digest}&from=secret/x`, { method: "POST", headers: ann });
    expect(fromSecret.status).toBe(202);
    const anywhere = await fetch(`${base}/v2/team-a/app/blobs/uploads/?mount=${secret.digest}`, { method: "POST", headers: ann });
    expect(anywhere.status).toBe(202);
    expect((await fetch(`${base}/v2/team-a/app/blobs/${secret.digest}`, { method: "HEAD", headers: ann })).status).toBe(404);
    expect((await fetch(`${base}/v2/team-a/app/blobs/${secret.digest}`, { headers: ann })).status).toBe(404);
    expect(await pushBlobAs(base, "team-a/other", secret, ann)).toBe(201);
    const readable = await fetch(`${base}/v2/team-a/app/blobs/uploads/?mount=${secret.digest}`, { method: "POST", headers: ann });
    expect(readable.status).toBe(201);
    expect((await fetch(`${base}/v2/team-a/app/blobs/${secret.digest}`, { headers: ann })).status).toBe(200);
  });

  test("failed sign-ins from one address are limited: 429 with Retry-After, before any password check", async () => {
    const limited = await startAuthRegistry({ ann: "pw" });
    try {
      for (let i = 0; i < 10; i++) expect((await fetch(`${limited.url}/v2/`, { headers: basic("ann", `wrong${i}`) })).status).toBe(401);
      const res = await fetch(`${limited.url}/v2/`, { headers: basic("ann", "pw") });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await errorCodes(res)).toEqual(["TOOMANYREQUESTS"]);
    } finally {
      await limited.stop();
    }
  });
});

describe("read-only mode and anonymous read", () => {
  test("read-only refuses every write with 405 UNSUPPORTED and serves reads", async () => {
    const reg = await startAuthRegistry({ ann: "pw" }, { readOnly: true, "auth.anonymousRead": true });
    try {
      const ann2 = basic("ann", "pw");
      const post = await fetch(`${reg.url}/v2/x/blobs/uploads/`, { method: "POST", headers: ann2 });
      expect(post.status).toBe(405);
      const body = (await post.json()) as { errors: { code: string; message: string }[] };
      expect(body.errors[0]!.code).toBe("UNSUPPORTED");
      expect(body.errors[0]!.message).toContain("read-only");
      for (const method of ["PUT", "DELETE"]) expect((await fetch(`${reg.url}/v2/x/manifests/v1`, { method, headers: ann2, body: method === "PUT" ? "{}" : null })).status).toBe(405);
      expect((await fetch(`${reg.url}/v2/x/tags/list`)).status).toBe(404);
      expect((await fetch(`${reg.url}/v2/x/blobs/uploads/`, { method: "POST" })).status).toBe(401);
    } finally {
      await reg.stop();
    }
  });
});
