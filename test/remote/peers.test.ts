import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { anonymous, login, openRepository, staticCredentials, type RemoteRepository } from "../../src/remote/index.ts";
import { startIdp, tempDir, type IdpServer, type RegistryUnderTest } from "../helpers/idp.ts";
import { content, makeImage, type Image } from "../helpers/oci.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { ALICE, startHtpasswdDistribution } from "./helpers/registries.ts";

/** An image whose layers really are gzip, so peers that sniff compression keep them as they are. */
function gzipImage(): Image {
  return makeImage({ layerContents: [0, 1].map(() => content(Bun.gzipSync(crypto.getRandomValues(new Uint8Array(300_000))))) });
}

async function pushWithClient(repo: RemoteRepository, tag: string): Promise<{ desc: Descriptor; image: Image }> {
  const image = gzipImage();
  for (const blob of [image.config, ...image.layers]) await repo.push({ mediaType: MediaType.ociLayerGzip, digest: blob.digest, size: blob.size }, blob.bytes);
  const desc = { mediaType: image.mediaType, digest: image.manifest.digest, size: image.manifest.size };
  await repo.pushManifest(desc, image.manifest.bytes, tag);
  return { desc, image };
}

/** Reads everything under a manifest with our client and checks every digest. */
async function pullAllWithClient(repo: RemoteRepository, reference: string): Promise<string> {
  const { descriptor, bytes } = await repo.fetchReference(reference);
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as { config: Descriptor; layers: Descriptor[] };
  for (const d of [doc.config, ...doc.layers]) {
    const got = new Uint8Array(await new Response(await repo.fetch(d)).arrayBuffer());
    expect(digestOf(got)).toBe(d.digest);
  }
  return descriptor.digest;
}

/**
 * Round trips with real peer clients on the same registry: what our client pushes, skopeo,
 * oras and crane read with identical digests, and what they push, our client reads.
 */
describe("interop with skopeo, oras and crane on idp serve", () => {
  let server: IdpServer;
  let work: { path: string; remove(): void };
  beforeAll(async () => {
    server = await startIdp();
    work = tempDir();
  });
  afterAll(async () => {
    await server?.stop();
    work?.remove();
  });
  const open = (name: string) => openRepository({ registry: server.host, repository: name }, { credentials: anonymous });

  test("our push, read by skopeo, crane and oras", async () => {
    const repo = await open("interop/ours");
    const { desc, image } = await pushWithClient(repo, "v1");
    const ref = `${server.host}/interop/ours:v1`;
    const raw = (await run([peer("skopeo"), "inspect", "--raw", "--tls-verify=false", `docker://${ref}`])).stdout;
    expect(digestOf(raw)).toBe(desc.digest);
    const layout = join(work.path, "skopeo-layout");
    await run([peer("skopeo"), "copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${layout}:v1`]);
    for (const blob of [image.config, ...image.layers]) expect(existsSync(join(layout, "blobs/sha256", blob.digest.slice(7)))).toBe(true);
    expect((await run([peer("crane"), "digest", "--insecure", ref])).stdout.trim()).toBe(desc.digest);
    const layer = image.layers[1]!;
    const out = join(work.path, "layer.bin");
    await run([peer("oras"), "blob", "fetch", "--plain-http", "--output", out, `${server.host}/interop/ours@${layer.digest}`]);
    expect(digestOf(new Uint8Array(await Bun.file(out).arrayBuffer()))).toBe(layer.digest);
    const resolved = (await run([peer("oras"), "resolve", "--plain-http", ref])).stdout.trim();
    expect(resolved).toBe(desc.digest);
  });

  test("skopeo, crane and oras push; our client reads with identical digests", async () => {
    const repo = await open("interop/ours2");
    const { desc } = await pushWithClient(repo, "v1");
    await run([peer("skopeo"), "copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${server.host}/interop/ours2:v1`, `docker://${server.host}/interop/skopeo:v1`]);
    expect(await pullAllWithClient(await open("interop/skopeo"), "v1")).toBe(desc.digest);
    await run([peer("crane"), "copy", "--insecure", `${server.host}/interop/ours2:v1`, `${server.host}/interop/crane:v1`]);
    expect(await pullAllWithClient(await open("interop/crane"), "v1")).toBe(desc.digest);

    const file = join(work.path, "hello.txt");
    writeFileSync(file, "hello from oras\n".repeat(1000));
    await run([peer("oras"), "push", "--plain-http", `${server.host}/interop/oras:v1`, "hello.txt:text/plain"], { cwd: work.path });
    const orasDigest = (await run([peer("oras"), "resolve", "--plain-http", `${server.host}/interop/oras:v1`])).stdout.trim();
    const oras = await open("interop/oras");
    expect((await oras.resolve("v1")).digest).toBe(orasDigest);
    const { bytes } = await oras.fetchReference("v1");
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as { layers: Descriptor[] };
    const content = await new Response(await oras.fetch(manifest.layers[0]!)).text();
    expect(content).toBe("hello from oras\n".repeat(1000));
  });
});

describe("interop with credentials on Distribution 2.8 (htpasswd)", () => {
  let reg: RegistryUnderTest;
  let home: { path: string; remove(): void };
  beforeAll(async () => {
    reg = await startHtpasswdDistribution();
    home = tempDir();
  });
  afterAll(async () => {
    await reg?.stop();
    home?.remove();
  });

  test("idp login into Docker's config is what skopeo and crane use; both read our push", async () => {
    const env = { HOME: home.path, IDP_HOME: join(home.path, "idp"), DOCKER_CONFIG: join(home.path, ".docker") };
    await login(reg.host, ALICE, { env, store: "docker" });
    const repo = await openRepository({ registry: reg.host, repository: "interop/auth" }, { credentials: staticCredentials(ALICE) });
    const { desc } = await pushWithClient(repo, "v1");
    const ref = `${reg.host}/interop/auth:v1`;
    const authfile = join(home.path, ".docker", "config.json");
    const raw = (await run([peer("skopeo"), "inspect", "--raw", "--tls-verify=false", "--authfile", authfile, `docker://${ref}`])).stdout;
    expect(digestOf(raw)).toBe(desc.digest);
    const craneEnv = { ...process.env, HOME: home.path, DOCKER_CONFIG: join(home.path, ".docker") };
    expect((await run([peer("crane"), "digest", "--insecure", ref], { env: craneEnv })).stdout.trim()).toBe(desc.digest);
    await run([peer("crane"), "copy", "--insecure", ref, `${reg.host}/interop/auth-copy:v1`], { env: craneEnv });
    expect(await pullAllWithClient(await openRepository({ registry: reg.host, repository: "interop/auth-copy" }, { env }), "v1")).toBe(desc.digest);
  });
});
