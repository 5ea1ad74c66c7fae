import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { digestOf } from "../../src/oci/digest.ts";
import { encodeRepo } from "../../registry/storage/paths.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";

/**
 * Real clients against `idp serve`: skopeo, podman, umoci (on the registry's own on-disk
 * layouts), oras and crane. What one tool pushes, the others read with identical digests.
 */
describe("real clients against idp serve", () => {
  let reg: IdpServer;
  const work = tempDir("idp-interop-");
  let layout: string;

  beforeAll(async () => {
    reg = await startIdp();
    // A real OCI layout, made by umoci: an image with one file in one layer.
    layout = join(work.path, "layout");
    await run([peer("umoci"), "init", "--layout", layout]);
    await run([peer("umoci"), "new", "--image", `${layout}:base`]);
    const bundle = join(work.path, "bundle");
    await run([peer("umoci"), "unpack", "--rootless", "--image", `${layout}:base`, bundle]);
    writeFileSync(join(bundle, "rootfs", "hello.txt"), "hello from umoci\n");
    await run([peer("umoci"), "repack", "--image", `${layout}:v1`, bundle]);
  });
  afterAll(async () => {
    await reg?.stop();
    work.remove();
  });

  async function rawDigest(ref: string, ...flags: string[]): Promise<string> {
    const { stdout } = await run([peer("skopeo"), "inspect", ...flags, "--raw", ref]);
    return digestOf(stdout);
  }

  test("skopeo copies an OCI layout in and back out with identical digests", async () => {
    const source = await rawDigest(`oci:${layout}:v1`);
    await run([peer("skopeo"), "copy", "--preserve-digests", "--dest-tls-verify=false", `oci:${layout}:v1`, `docker://${reg.host}/interop/skopeo:v1`]);
    const { stdout } = await run([peer("skopeo"), "inspect", "--tls-verify=false", `docker://${reg.host}/interop/skopeo:v1`]);
    expect(JSON.parse(stdout).Digest).toBe(source);
    const out = join(work.path, "out");
    await run([peer("skopeo"), "copy", "--preserve-digests", "--src-tls-verify=false", `docker://${reg.host}/interop/skopeo:v1`, `oci:${out}:v1`]);
    expect(await rawDigest(`oci:${out}:v1`)).toBe(source);
    // every layer came back byte-identical: the copy's blobs hash to their names
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    expect(index.manifests[0]!.digest).toBe(source);
  });

  test("skopeo and umoci open the registry's on-disk repository as an OCI image layout", async () => {
    const repoLayout = join(reg.root, "repositories", encodeRepo("interop/skopeo"));
    const { stdout } = await run([peer("skopeo"), "inspect", `oci:${repoLayout}:v1`]);
    expect(JSON.parse(stdout).Digest).toBe(await rawDigest(`oci:${layout}:v1`));
    const ls = await run([peer("umoci"), "ls", "--layout", repoLayout]);
    expect(ls.stdout.split("\n")).toContain("v1");
    const unpacked = join(work.path, "unpacked");
    await run([peer("umoci"), "unpack", "--rootless", "--image", `${repoLayout}:v1`, unpacked]);
    expect(readFileSync(join(unpacked, "rootfs", "hello.txt"), "utf8")).toBe("hello from umoci\n");
  });

  test("podman pulls what skopeo pushed and pushes it back under another name", async () => {
    const storage = join(work.path, "podman");
    mkdirSync(storage, { recursive: true });
    const podman = [peer("podman"), "--root", join(storage, "root"), "--runroot", join(storage, "run"), "--storage-driver", "vfs"];
    await run([...podman, "pull", "--tls-verify=false", `${reg.host}/interop/skopeo:v1`], { timeoutMs: 120_000 });
    await run([...podman, "push", "--tls-verify=false", `${reg.host}/interop/skopeo:v1`, `${reg.host}/interop/podman:v1`], { timeoutMs: 120_000 });
    const { stdout } = await run([peer("skopeo"), "inspect", "--tls-verify=false", `docker://${reg.host}/interop/podman:v1`]);
    const pushed = JSON.parse(stdout) as { Layers: string[] };
    expect(pushed.Layers.length).toBe(1);
    // podman may recompress, but what it pushed must read back whole
    const out = join(work.path, "podman-out");
    await run([peer("skopeo"), "copy", "--src-tls-verify=false", `docker://${reg.host}/interop/podman:v1`, `oci:${out}:v1`]);
  });

  test("oras pushes an artifact, attaches a referrer, discovers and pulls", async () => {
    const dir = join(work.path, "oras");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "notes.txt"), "platform notes\n");
    const oras = peer("oras");
    const ref = `${reg.host}/interop/oras:v1`;
    await run([oras, "push", "--plain-http", ref, "--artifact-type", "application/vnd.idp.test", "notes.txt:text/plain"], { cwd: dir });
    await run([oras, "attach", "--plain-http", ref, "--artifact-type", "application/vnd.idp.signature", "notes.txt"], { cwd: dir });
    const discovered = await run([oras, "discover", "--plain-http", "--format", "json", ref]);
    const tree = JSON.parse(discovered.stdout) as { referrers?: { artifactType: string }[]; manifests?: { artifactType: string }[] };
    const referrers = tree.referrers ?? tree.manifests ?? [];
    expect(referrers.map((r) => r.artifactType)).toContain("application/vnd.idp.signature");
    const out = join(work.path, "oras-out");
    mkdirSync(out, { recursive: true });
    await run([oras, "pull", "--plain-http", ref], { cwd: out });
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("platform notes\n");
  });

  test("crane lists, copies by digest and reports the same digest skopeo does", async () => {
    const crane = peer("crane");
    await run([crane, "copy", "--insecure", `${reg.host}/interop/skopeo:v1`, `${reg.host}/interop/crane:v1`]);
    const digest = (await run([crane, "digest", "--insecure", `${reg.host}/interop/crane:v1`])).stdout.trim();
    expect(digest).toBe(await rawDigest(`oci:${layout}:v1`));
    const tags = (await run([crane, "ls", "--insecure", `${reg.host}/interop/crane`])).stdout.trim().split("\n");
    expect(tags).toEqual(["v1"]);
    const catalog = (await run([crane, "catalog", "--insecure", reg.host])).stdout.trim().split("\n");
    expect(catalog).toEqual(expect.arrayContaining(["interop/crane", "interop/skopeo"]));
    await run([crane, "tag", "--insecure", `${reg.host}/interop/crane:v1`, "v2"]);
    await run([crane, "delete", "--insecure", `${reg.host}/interop/crane@${digest}`]);
    const after = await run([crane, "ls", "--insecure", `${reg.host}/interop/crane`]);
    expect(after.stdout.trim()).toBe("");
  });
});
