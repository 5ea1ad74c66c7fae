import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType, PackageMediaType } from "../../src/oci/mediatypes.ts";
import { anonymous, openRepository } from "../../src/remote/index.ts";
import { searchAcross } from "../../src/search/across.ts";
import { loadIndex } from "../../src/search/index-file.ts";
import { pickLatest } from "../../src/search/latest.ts";
import { scoreRepository, searchTerms } from "../../src/search/query.ts";
import { refreshIndex } from "../../src/search/refresh.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { startIdp, type RegistryUnderTest } from "../helpers/idp.ts";
import { harborExchanges, HARBOR_SECRET, HARBOR_USER } from "../registries/fixtures/harbor.ts";
import { startReplay } from "../registries/replay.ts";
import { contextOf, testHome, type TestHome } from "../registries/setup.ts";

/** Pushes an idp package (config blob with name/version/description) or a plain artifact. */
async function pushPackage(host: string, repository: string, version: string, meta: { name?: string; description?: string; annotations?: Record<string, string> } = {}): Promise<string> {
  const repo = await openRepository({ registry: host, repository }, { credentials: anonymous, retries: 0 });
  const layer = new TextEncoder().encode(`files of ${repository}@${version}`);
  const layerDesc = { mediaType: PackageMediaType.layer, digest: digestOf(layer), size: layer.byteLength };
  await repo.push(layerDesc, layer);
  const isPackage = meta.name !== undefined;
  const config = new TextEncoder().encode(isPackage ? JSON.stringify({ apiVersion: "idp.dev/v1alpha1", name: meta.name, version, description: meta.description, annotations: meta.annotations ?? {}, kind: "directory", files: 1 }) : "{}");
  const configDesc = { mediaType: isPackage ? PackageMediaType.config : MediaType.ociEmpty, digest: digestOf(config), size: config.byteLength };
  await repo.push(configDesc, config);
  const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, ...(isPackage ? { artifactType: PackageMediaType.artifact } : { artifactType: "application/vnd.example.notes" }), config: configDesc, layers: [layerDesc], ...(meta.description && !isPackage ? { annotations: { "org.opencontainers.image.description": meta.description } } : {}) }));
  const desc = { mediaType: MediaType.ociManifest, digest: digestOf(manifest), size: manifest.byteLength };
  await repo.pushManifest(desc, manifest, version);
  return desc.digest;
}

describe("ranking", () => {
  test("latest is the highest release, then `latest`, then the last tag", () => {
    expect(pickLatest(["1.2.0", "1.10.0", "latest", "2.0.0-rc.1"])).toBe("1.10.0");
    expect(pickLatest(["2.0.0-rc.1", "2.0.0-rc.2"])).toBe("2.0.0-rc.2");
    expect(pickLatest(["main", "latest"])).toBe("latest");
    expect(pickLatest(["a", "b"])).toBe("b");
    expect(pickLatest([])).toBeUndefined();
  });

  test("a name match outranks a description match; every term must match somewhere", () => {
    const t = searchTerms("ingress");
    const byName = scoreRepository(t, "platform/ingress", { tags: [], checkedAt: "" });
    const byDescription = scoreRepository(t, "platform/edge", { tags: [], checkedAt: "", package: { name: "edge", description: "Ingress controller" } });
    const byAnnotation = scoreRepository(t, "platform/gw", { tags: [], checkedAt: "", annotations: { "example.com/role": "ingress" } });
    expect(byName).toBeGreaterThan(byDescription);
    expect(byDescription).toBeGreaterThan(byAnnotation);
    expect(byAnnotation).toBeGreaterThan(0);
    expect(scoreRepository(searchTerms("ingress nginx"), "platform/ingress", { tags: [], checkedAt: "" })).toBe(0);
  });
});

for (const kind of ["idp", "distribution"] as const) {
  describe(`local index against ${kind} (real registry)`, () => {
    let registry: RegistryUnderTest;
    let home: TestHome;
    beforeAll(async () => {
      registry = kind === "idp" ? await startIdp() : await startDistribution();
      home = testHome();
      home.writeConfig(`registries:\n  local:\n    url: http://${registry.host}\n`);
      await pushPackage(registry.host, "platform/ingress", "1.0.0", { name: "ingress", description: "Ingress controller for the platform" });
      await pushPackage(registry.host, "platform/ingress", "1.1.0", { name: "ingress", description: "Ingress controller for the platform" });
      await pushPackage(registry.host, "platform/cert-manager", "0.9.0", { name: "cert-manager", description: "Certificates", annotations: { "example.com/team": "security" } });
      await pushPackage(registry.host, "team/notes", "latest", { description: "release notes, not a package" });
    });
    afterAll(async () => {
      await registry?.stop();
      home?.remove();
    });

    test("refresh reads catalog, tags, manifests and package configs; search finds by name, description and annotation", async () => {
      const report = await refreshIndex(await contextOf(home, "local"));
      expect(report).toMatchObject({ repositories: 3, changed: 3, unchanged: 0 });
      expect(report.requests.configs).toBe(2);
      const index = await loadIndex("local", home.env);
      expect(index?.repositories["platform/ingress"]).toMatchObject({ latest: "1.1.0", tags: ["1.0.0", "1.1.0"], package: { name: "ingress", version: "1.1.0" } });
      const search = async (term: string) => (await searchAcross(term, { registries: [], env: home.env })).hits;
      expect((await search("ingress"))[0]).toMatchObject({ name: "ingress", latest: "1.1.0", repository: `${registry.host}/platform/ingress`, source: "index", description: "Ingress controller for the platform" });
      expect((await search("certificates")).map((h) => h.name)).toEqual(["cert-manager"]);
      expect((await search("security")).map((h) => h.name)).toEqual(["cert-manager"]);
      expect((await search("release notes")).map((h) => h.name)).toEqual(["notes"]);
      expect(await search("nothing-like-this")).toEqual([]);
    });

    test("a second refresh only lists tags; a new version reads one manifest and one config", async () => {
      const ctx = await contextOf(home, "local");
      await refreshIndex(ctx);
      const again = await refreshIndex(ctx);
      // `latest` of team/notes may move, so it is checked again (a HEAD); versions are not.
      expect(again).toMatchObject({ changed: 1, unchanged: 2 });
      expect(again.requests).toEqual({ listings: 1, tagLists: 3, manifests: 1, configs: 0 });
      await pushPackage(registry.host, "platform/ingress", "1.2.0", { name: "ingress", description: "Ingress controller for the platform" });
      const after = await refreshIndex(ctx);
      expect(after.requests).toEqual({ listings: 1, tagLists: 3, manifests: 3, configs: 1 });
      expect((await loadIndex("local", home.env))?.repositories["platform/ingress"]?.latest).toBe("1.2.0");
    });
  });
}

describe("provider search APIs, and registries failing one at a time", () => {
  let home: TestHome;
  afterEach(() => home?.remove());

  test("Harbor's search API answers (REPLAYED), a registry that is down is reported beside the results", async () => {
    const replay = await startReplay(harborExchanges().filter((x) => x.request.path === "/api/v2.0/search"));
    home = testHome({ CORP_TOKEN: HARBOR_SECRET });
    home.writeConfig(`registries:\n  corp:\n    url: ${replay.url}\n    provider: harbor\n    credentials:\n      username: ${HARBOR_USER}\n      passwordEnv: CORP_TOKEN\n  down:\n    url: http://127.0.0.1:9\n`);
    const result = await searchAcross("ingress", { registries: [], env: home.env, remote: { retries: 0 } });
    expect(result.hits).toEqual([expect.objectContaining({ registry: "corp", repository: `${replay.host}/platform/ingress`, name: "ingress", source: "api" })]);
    expect(result.failures.map((f) => f.registry)).toEqual(["down"]);
    expect(JSON.stringify(result.failures.map((f) => f.message))).not.toContain(HARBOR_SECRET);
    replay.assertAllUsed();
    await replay.stop();
  });
});
