import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { copy } from "../../src/copy/index.ts";
import { anonymous, openRepository } from "../../src/remote/index.ts";
import { bytesOf, makeFixture, type Fixture } from "../content/fixtures.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { startCountingProxy } from "../registries/counting-proxy.ts";

/**
 * copy against real registries through the remote Target, on `idp serve` and Distribution
 * 2.8: layout → repository → a sibling repository by cross-repository mount → layout.
 */
const registries: Record<string, RegistryUnderTest> = {};
beforeAll(async () => {
  [registries.idp, registries.distribution] = await Promise.all([startIdp(), startDistribution()]);
});
afterAll(async () => {
  await Promise.all(Object.values(registries).map((r) => r.stop()));
});

async function layoutWith(fixture: Fixture, path: string): Promise<LayoutStore> {
  const store = await LayoutStore.open(path);
  for (const x of fixture.items) await store.push(x.desc, x.bytes);
  for (const [tag, desc] of Object.entries(fixture.tags)) await store.tag(desc, tag);
  return store;
}

let n = 0;
for (const name of ["idp", "distribution"] as const) {
  const open = (repository: string) => openRepository({ registry: registries[name]!.host, repository }, { credentials: anonymous, retries: 1 });

  describe(`copy with a real registry: ${name}`, () => {
    test("copied again under the same tag: one HEAD by tag answers (and one by digest beside it); under a new tag: one PUT", async () => {
      const fixture = makeFixture();
      const dir = tempDir("idp-copy-again-");
      const proxy = startCountingProxy(registries[name]!.url);
      try {
        const source = await layoutWith(fixture, `${dir.path}/src`);
        const repository = `copy/again${++n}`;
        const through = () => openRepository({ registry: proxy.host, repository }, { credentials: anonymous, retries: 1 });
        // Concurrency 1: tagging what is there must not wait for a slot it holds itself.
        await copy(source, "multi", await through(), "multi", { concurrency: 1 });
        proxy.reset();
        const skipped: string[] = [];
        await copy(source, "multi", await through(), "multi", { concurrency: 1, onSkipped: (d) => void skipped.push(d.digest) });
        expect(proxy.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([`HEAD /v2/${repository}/manifests/${fixture.index.desc.digest}`, `HEAD /v2/${repository}/manifests/multi`].sort());
        expect(skipped).toEqual([fixture.index.desc.digest]);
        proxy.reset();
        await copy(source, "multi", await through(), "other", { concurrency: 1 });
        expect(proxy.requests.filter((r) => r.method !== "HEAD").map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /v2/${repository}/manifests/other`]);
        const tagged = await (await open(repository)).resolve("other");
        expect(tagged.digest).toBe(fixture.index.desc.digest);
      } finally {
        await proxy.stop();
        dir.remove();
      }
    }, 60_000);

    test("layout → repository → mounted into a sibling → layout, byte for byte", async () => {
      const fixture = makeFixture();
      const dir = tempDir("idp-copy-remote-");
      try {
        const source = await layoutWith(fixture, `${dir.path}/src`);
        const base = await open(`copy/base${++n}`);
        await copy(source, "multi", base, "multi");
        const { stdout } = await run([peer("skopeo"), "inspect", "--tls-verify=false", "--raw", `docker://${registries[name]!.host}/${base.repository}:multi`]);
        expect(new TextEncoder().encode(stdout.trim())).toEqual(fixture.index.bytes);

        const sibling = await open(`copy/sibling${n}`);
        const mounted: string[] = [];
        const moved: string[] = [];
        await copy(base, "multi", sibling, "v2", { mountFrom: base.repository, onMounted: (d) => void mounted.push(d.digest), postCopy: (d) => void moved.push(d.digest) });
        const blobs = [fixture.image.config, ...fixture.image.layers].map((x) => x.desc.digest);
        expect(mounted.sort()).toEqual([...blobs].sort());
        expect(moved.filter((d) => blobs.includes(d))).toEqual([]);

        const back = await LayoutStore.open(`${dir.path}/back`);
        await copy(sibling, "v2", back, "v2");
        for (const x of [...fixture.image.all, fixture.index]) expect(await bytesOf(await back.fetch(x.desc))).toEqual(x.bytes);
      } finally {
        dir.remove();
      }
    }, 60_000);

    // On Distribution (no referrers API) the remote Target keeps referrers in a
    // `sha256-<hex>` tag index updated read-modify-write; copy pushes referrers
    // concurrently, so this also checks that the update is serialised per subject.
    test("referrers travel to the registry and back", async () => {
      const fixture = makeFixture();
      const dir = tempDir("idp-copy-remote-");
      try {
        const source = await layoutWith(fixture, `${dir.path}/src`);
        const repo = await open(`copy/referrers${++n}`);
        await copy(source, "multi", repo, "multi", { referrers: true });
        const back = await LayoutStore.open(`${dir.path}/back`);
        await copy(repo, "multi", back, "multi", { referrers: true });
        for (const x of [fixture.sbom, fixture.signature]) expect(await bytesOf(await back.fetch(x.desc))).toEqual(x.bytes);
        expect((await back.referrers(fixture.image.manifest.desc)).length).toBe(2);
      } finally {
        dir.remove();
      }
    }, 60_000);
  });
}
