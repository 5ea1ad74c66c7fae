import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { idpBinary, startIdp, type IdpServer } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { startCountingProxy, type CountingProxy } from "../registries/counting-proxy.ts";
import { testHome, type TestHome } from "../registries/setup.ts";

/**
 * Every pull goes through the local cache, measured through the compiled binary: a counting
 * pass-through in front of a real idp serve shows that the second pull of the same content
 * makes no blob request at all (only the tag is resolved), and the cache commands report,
 * verify and trim what is there.
 */
let server: IdpServer;
let proxy: CountingProxy;
let home: TestHome;
let work: string;
const cacheDir = () => join(home.path, "legacy-cache");

async function cli(args: string[], env: Record<string, string> = {}) {
  return run([idpBinary(), ...args], { env: { ...home.env, IDPBUILDER_OCI_CACHE_DIR: cacheDir(), ...env }, cwd: work });
}

beforeAll(async () => {
  server = await startIdp();
  proxy = startCountingProxy(server.url);
  home = testHome();
  work = join(home.path, "work");
  mkdirSync(join(work, "site"), { recursive: true });
  writeFileSync(join(work, "notes.txt"), "notes\n".repeat(1000));
  writeFileSync(join(work, "site", "index.html"), "<h1>hi</h1>\n".repeat(5000));
  await cli(["push", `${proxy.host}/team/site:v1`, "notes.txt", "site", "-q"]);
});
afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
  home?.remove();
});

describe("pull through the cache", () => {
  test("the second pull makes no blob requests and writes the same files", async () => {
    proxy.reset();
    const first = (await cli(["pull", `${proxy.host}/team/site:v1`, "-o", join(home.path, "one"), "-q"])).stdout.trim();
    expect(proxy.blobReads()).toBe(2);
    // A tag the cache has not seen: one GET brings the manifest (no HEAD first).
    expect(proxy.requests.filter((r) => r.path.includes("/manifests/")).map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v2/team/site/manifests/v1"]);
    expect(existsSync(join(cacheDir(), "oci-layout"))).toBe(true);
    proxy.reset();
    const second = (await cli(["pull", `${proxy.host}/team/site:v1`, "-o", join(home.path, "two"), "-q"])).stdout.trim();
    expect(second).toBe(first);
    expect(proxy.blobReads()).toBe(0);
    expect(proxy.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["HEAD /v2/team/site/manifests/v1"]);
    for (const file of ["notes.txt", "site/index.html"]) expect(readFileSync(join(home.path, "two", file))).toEqual(readFileSync(join(home.path, "one", file)));
  });

  test("a cache that cannot store what arrives fails the pull, and no output file appears", async () => {
    // A cache whose blob directory is a file: every store into it fails.
    const broken = join(home.path, "broken-cache");
    mkdirSync(join(broken, "blobs"), { recursive: true });
    writeFileSync(join(broken, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}\n');
    writeFileSync(join(broken, "index.json"), '{"schemaVersion":2,"manifests":[]}\n');
    writeFileSync(join(broken, "blobs", "sha256"), "not a directory");
    const out = join(home.path, "broken-out");
    const result = await run([idpBinary(), "pull", `${proxy.host}/team/site:v1`, "-o", out, "-q"], { env: { ...home.env, IDPBUILDER_OCI_CACHE_DIR: broken }, cwd: work, allowFail: true });
    expect(result.code).toBe(1);
    // What and where, and how to get past it; not an "internal error".
    const [message, hint, ...rest] = result.stderr.trim().split("\n");
    expect(message).toMatch(new RegExp(`^error: cannot write ${broken}/blobs/sha256/[0-9a-f]{64}: .*\\(ENOTDIR\\)$`));
    expect(hint).toContain("--no-cache");
    expect(rest).toEqual([]);
    expect(existsSync(join(out, "notes.txt"))).toBe(false);
    expect(existsSync(out) ? readdirSync(out, { recursive: true }).filter((name) => String(name).includes(".idp-pull-")) : []).toEqual([]);
    expect(readdirSync(broken).filter((name) => name.startsWith(".idp-"))).toEqual([]);
  });

  test("--no-cache neither reads nor fills the cache: every blob comes from the registry", async () => {
    // The cache holds this artifact (the test above), so any blob read proves it was bypassed.
    const before = (JSON.parse((await cli(["cache", "du", "--json"])).stdout) as { blobs: number }).blobs;
    proxy.reset();
    await cli(["pull", `${proxy.host}/team/site:v1`, "-o", join(home.path, "nocache"), "-q", "--no-cache"]);
    expect(proxy.blobReads()).toBe(2);
    expect(readFileSync(join(home.path, "nocache", "notes.txt"), "utf8")).toBe("notes\n".repeat(1000));
    expect((JSON.parse((await cli(["cache", "du", "--json"])).stdout) as { blobs: number }).blobs).toBe(before);
  });

  test("cache ls, du and verify see what the pull stored", async () => {
    const refs = JSON.parse((await cli(["cache", "ls", "--json"])).stdout) as { reference: string; present: boolean }[];
    expect(refs).toEqual([expect.objectContaining({ reference: `${proxy.host}/team/site:v1`, present: true })]);
    const du = JSON.parse((await cli(["cache", "du", "--json"])).stdout) as { blobs: number; bytes: number; root: string };
    expect(du).toMatchObject({ blobs: 3, root: cacheDir() });
    const verify = JSON.parse((await cli(["cache", "verify", "--json"])).stdout) as { checked: number; corrupt: string[] };
    expect(verify).toMatchObject({ checked: 3, corrupt: [] });
  });

  test("a size limit trims the cache after a pull; prune --all empties it and the next pull fetches again", async () => {
    await cli(["pull", `${proxy.host}/team/site:v1`, "-o", join(home.path, "three"), "-q", "--overwrite"], { IDP_OCI_CACHE_MAX_SIZE: "1" });
    // Nothing new was added (manifest and two layers: the pull reads no config), so nothing was trimmed.
    expect((JSON.parse((await cli(["cache", "du", "--json"])).stdout) as { blobs: number }).blobs).toBe(3);
    const pruned = JSON.parse((await cli(["cache", "prune", "--all", "--json"])).stdout) as { removed: string[]; remainingBytes: number };
    expect(pruned.removed).toHaveLength(3);
    expect(pruned.remainingBytes).toBe(0);
    proxy.reset();
    await cli(["pull", `${proxy.host}/team/site:v1`, "-o", join(home.path, "four"), "-q"], { IDP_OCI_CACHE_MAX_SIZE: "2KB" });
    expect(proxy.blobReads()).toBe(2);
    const du = JSON.parse((await cli(["cache", "du", "--json"])).stdout) as { bytes: number; limit: number | null };
    expect(du.bytes).toBeLessThanOrEqual(2000);
  });

  test("prune needs something to prune by", async () => {
    const out = await run([idpBinary(), "cache", "prune"], { env: home.env, allowFail: true });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^error: nothing to prune by\nhint: pass --max-size, --older-than or --all/);
  });
});
