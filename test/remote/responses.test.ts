import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AuthError, DigestMismatchError, IdpError, InvalidInputError, NotFoundError, RegistryResponseError, SizeLimitError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { anonymous, openRepository, staticCredentials } from "../../src/remote/index.ts";

type Handler = (req: Request) => Response | Promise<Response>;

/**
 * A scripted stand-in registry: each test installs the answers it needs, to check how the
 * client reads what real registries send when things go wrong (ECR, proxies, broken servers).
 */
describe("registry answers the client must read correctly", () => {
  let server: ReturnType<typeof Bun.serve>;
  let handler: Handler = () => new Response(null, { status: 404 });
  beforeAll(() => {
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => handler(req) });
  });
  afterAll(() => server?.stop(true));
  const host = () => `127.0.0.1:${server.port}`;
  const repo = (name = "team/app") => openRepository({ registry: host(), repository: name }, { credentials: anonymous, retries: 0 });
  const errorBody = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    Response.json({ errors: [{ code, message, detail: null }] }, { status, headers });
  async function failure(promise: Promise<unknown>): Promise<IdpError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof IdpError) return error;
      throw error;
    }
    throw new Error("expected a failure");
  }
  const blob = { mediaType: MediaType.ociLayerGzip, digest: digestOf("x"), size: 1 };

  test("413 on a manifest push: one line with the status and a hint", async () => {
    handler = () => errorBody(413, "SIZE_INVALID", "manifest too big");
    const m = new TextEncoder().encode("{}");
    const e = await failure((await repo()).pushManifest({ mediaType: MediaType.ociManifest, digest: digestOf(m), size: m.byteLength }, m, "v1"));
    expect(e).toBeInstanceOf(RegistryResponseError);
    expect(e.message).toBe(`PUT http://${host()}/v2/team/app/manifests/v1: 413 SIZE_INVALID (manifest too big)`);
    expect(e.hint).toContain("size");
    expect((e as RegistryResponseError).codes).toEqual(["SIZE_INVALID"]);
  });

  test("NAME_INVALID, NAME_UNKNOWN, DENIED and ECR's missing repository get their hints", async () => {
    handler = () => errorBody(400, "NAME_INVALID", "invalid repository name");
    expect((await failure((await repo()).resolve("v1"))).hint).toContain("lower-case");
    handler = (req) => (req.method === "HEAD" ? new Response(null, { status: 404 }) : errorBody(404, "NAME_UNKNOWN", "repository name not known to registry"));
    const missing = await failure((await repo()).resolve("v1"));
    expect(missing).toBeInstanceOf(NotFoundError);
    handler = () => errorBody(404, "NAME_UNKNOWN", "The repository with name 'team/app' does not exist in the registry with id '1234'");
    const ecr = await failure((await repo()).push(blob, new Uint8Array([120])));
    expect(ecr.hint).toContain("create the repository team/app first");
    handler = () => errorBody(403, "DENIED", "requested access to the resource is denied");
    const denied = await failure((await repo()).exists(blob));
    expect(denied).toBeInstanceOf(AuthError);
    expect(denied.hint).toContain("may not do this");
    expect((denied.cause as RegistryResponseError).status).toBe(403);
  });

  test("401 with credentials says check the password; a non-JSON error body still gives one line", async () => {
    handler = () => new Response("<html>\n<h1>Unauthorized</h1></html>", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="x"' } });
    const r = await openRepository({ registry: host(), repository: "team/app" }, { credentials: staticCredentials({ username: "u", password: "p-responses-secret" }), retries: 0 });
    const e = await failure(r.exists(blob));
    expect(e).toBeInstanceOf(AuthError);
    expect(e.message).toBe(`HEAD http://${host()}/v2/team/app/blobs/${blob.digest}: 401`);
    expect(e.hint).toContain("check the username and password");
  });

  test("manifests over 4 MiB are refused, with or without Content-Length", async () => {
    const big = new Uint8Array(4 * 1024 * 1024 + 1).fill(32);
    handler = () => new Response(big, { headers: { "Content-Type": MediaType.ociManifest } });
    expect(await failure((await repo()).fetchReference("v1"))).toBeInstanceOf(SizeLimitError);
    handler = () => new Response(new Blob([big]).stream(), { headers: { "Content-Type": MediaType.ociManifest } });
    expect(await failure((await repo()).fetchReference("v1"))).toBeInstanceOf(SizeLimitError);
  });

  test("a manifest served with the wrong Content-Type, size or digest is refused", async () => {
    const m = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }));
    const desc = { mediaType: MediaType.ociIndex, digest: digestOf(m), size: m.byteLength };
    handler = () => new Response(m, { headers: { "Content-Type": "application/json" } });
    expect(await failure((await repo()).fetch(desc))).toBeInstanceOf(InvalidInputError);
    handler = () => new Response(m, { headers: { "Content-Type": MediaType.ociManifest } });
    expect(await failure((await repo()).fetch(desc))).toBeInstanceOf(InvalidInputError);
    handler = () => new Response(m, { headers: { "Content-Type": MediaType.ociIndex, "Docker-Content-Digest": digestOf("other") } });
    expect(await failure((await repo()).fetchReference("v1"))).toBeInstanceOf(DigestMismatchError);
    handler = () => new Response(m, { headers: { "Content-Type": MediaType.ociIndex } });
    expect(await failure((await repo()).fetch({ ...desc, digest: digestOf("other") }))).toBeInstanceOf(DigestMismatchError);
    expect((await (await repo()).fetchReference("v1")).descriptor).toEqual(desc);
  });

  test("a blob with a different Docker-Content-Digest, or too many bytes, fails verification", async () => {
    const bytes = new TextEncoder().encode("hello");
    const desc = { mediaType: MediaType.ociLayerGzip, digest: digestOf(bytes), size: bytes.byteLength };
    handler = () => new Response(bytes, { headers: { "Docker-Content-Digest": digestOf("nope") } });
    expect(await failure((await repo()).fetch(desc))).toBeInstanceOf(DigestMismatchError);
    handler = () => new Response(new Blob([bytes, bytes]).stream());
    expect(await failure((async () => new Response(await (await repo()).fetch(desc)).arrayBuffer())())).toBeInstanceOf(DigestMismatchError);
  });

  test("referrers: a 404 without NAME_UNKNOWN falls back to the tag schema", async () => {
    const subject = { mediaType: MediaType.ociManifest, digest: digestOf("subject"), size: 7 };
    const referrer = { mediaType: MediaType.ociManifest, digest: digestOf("ref"), size: 3, artifactType: "application/vnd.test" };
    const index = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [referrer] }));
    const tag = `sha256-${subject.digest.slice(7)}`;
    handler = (req) => {
      const path = new URL(req.url).pathname;
      if (path.includes("/referrers/")) return new Response("404 page not found", { status: 404 });
      if (path.endsWith(`/manifests/${tag}`)) return new Response(index, { headers: { "Content-Type": MediaType.ociIndex } });
      return new Response(null, { status: 404 });
    };
    expect(await (await repo()).referrers(subject)).toEqual([referrer]);
    expect(await (await repo()).referrers(subject, "application/other")).toEqual([]);
    handler = () => errorBody(404, "NAME_UNKNOWN", "no such repository");
    expect(await failure((await repo()).referrers(subject))).toBeInstanceOf(NotFoundError);
  });
});
