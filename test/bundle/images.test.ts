import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imagesOf } from "../../src/bundle/images/objects.ts";
import { discoverImages } from "../../src/bundle/images/discover.ts";
import { choosePlatform, parsePlatform } from "../../src/bundle/images/platform.ts";
import { MemoryStore } from "../../src/content/memory/index.ts";
import { InvalidInputError, NotFoundError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { packLayer } from "../../src/pack/index.ts";
import { tempDir } from "../helpers/idp.ts";

/** Finding the images a package's Kubernetes objects run, and what cannot be found. */

const images = (doc: unknown) => imagesOf(doc).images.map((u) => u.image);
const template = (spec: unknown) => ({ template: { spec } });

describe("images of an object", () => {
  test("every workload kind's pod template, all three container lists", () => {
    const spec = { initContainers: [{ name: "i", image: "busybox:1.36" }], containers: [{ name: "c", image: "nginx:1.27" }], ephemeralContainers: [{ name: "e", image: "debug:1" }] };
    for (const kind of ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"]) {
      expect(images({ apiVersion: "apps/v1", kind, metadata: { name: "x" }, spec: template(spec) })).toEqual(["busybox:1.36", "nginx:1.27", "debug:1"]);
    }
    expect(images({ kind: "Pod", metadata: { name: "p" }, spec })).toEqual(["busybox:1.36", "nginx:1.27", "debug:1"]);
    expect(images({ kind: "CronJob", metadata: { name: "c" }, spec: { jobTemplate: { spec: template(spec) } } })).toEqual(["busybox:1.36", "nginx:1.27", "debug:1"]);
    expect(images({ kind: "PodTemplate", metadata: { name: "t" }, template: { spec } })).toEqual(["busybox:1.36", "nginx:1.27", "debug:1"]);
    // A custom resource with a standard pod template (Argo Rollouts) counts too.
    expect(images({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", metadata: { name: "r" }, spec: template({ containers: [{ name: "a", image: "app:2" }] }) })).toEqual(["app:2"]);
    expect(images({ kind: "List", items: [{ kind: "Pod", metadata: { name: "a" }, spec: { containers: [{ name: "a", image: "a:1" }] } }, { kind: "ConfigMap", metadata: { name: "b" } }] })).toEqual(["a:1"]);
  });

  test("says where each image is used", () => {
    const found = imagesOf({ kind: "Deployment", metadata: { name: "web", namespace: "shop" }, spec: template({ initContainers: [{ name: "migrate", image: "m:1" }] }) });
    expect(found.images[0]!.where).toBe("Deployment shop/web init container migrate");
  });

  test("templated images and Argo CD/Flux sources become notes, not images", () => {
    const templated = imagesOf({ kind: "Deployment", metadata: { name: "w" }, spec: template({ containers: [{ name: "c", image: "{{ .Values.image }}" }, { name: "d", image: "$(IMAGE)" }] }) });
    expect(templated.images).toEqual([]);
    expect(templated.notes.length).toBe(2);
    const app = imagesOf({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "podinfo", namespace: "argocd" },
      spec: { sources: [{ repoURL: "ghcr.io/stefanprodan/charts", chart: "podinfo", targetRevision: "6.7.1" }, { repoURL: "https://git.example.com/v.git", ref: "values" }] },
    });
    expect(app.notes).toEqual(["Argo CD Application argocd/podinfo deploys Helm chart podinfo 6.7.1 from ghcr.io/stefanprodan/charts: its images are not discovered (render it and bundle them by reference)"]);
    expect(imagesOf({ apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", metadata: { name: "all" }, spec: {} }).notes[0]).toContain("generates Applications at run time");
    expect(imagesOf({ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "h" }, spec: {} }).notes[0]).toContain("Helm chart");
    expect(imagesOf({ kind: "ConfigMap", metadata: { name: "c" } })).toEqual({ images: [], notes: [] });
  });
});

describe("images of a package layer", () => {
  async function layerOf(files: Record<string, string>) {
    const dir = tempDir("idp-images-");
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir.path, name, ".."), { recursive: true });
      writeFileSync(join(dir.path, name), text);
    }
    const { stream, done } = packLayer([{ path: dir.path, name: "." }]);
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const layer = await done;
    dir.remove();
    const store = new MemoryStore();
    const desc = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
    await store.push(desc, bytes);
    return { store, desc };
  }

  test("reads every YAML document of every file, normalises and de-duplicates references", async () => {
    const { store, desc } = await layerOf({
      "deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: a, image: nginx}\n---\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n    - {name: b, image: 'docker.io/library/nginx:latest'}\n",
      "sub/job.yml": "kind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: j, image: 'registry.local:5000/tools/migrate@sha256:" + "a".repeat(64) + "'}\n",
      "README.md": "image: not-yaml-we-read\n",
      "kustomization.yaml": "resources: [deploy.yaml]\nimages:\n  - {name: nginx, newTag: '1.27'}\n",
    });
    const found = await discoverImages(store, desc, "kustomize");
    expect([...found.images.keys()].sort()).toEqual(["docker.io/library/nginx:latest", `registry.local:5000/tools/migrate@sha256:${"a".repeat(64)}`]);
    expect(found.images.get("docker.io/library/nginx:latest")!.length).toBe(2);
    expect(found.notes).toEqual(["kustomization.yaml: kustomize images: overrides are not applied; images are bundled as the resources name them"]);
  });

  test("a file that is not plain YAML and a Helm package are notes", async () => {
    const { store, desc } = await layerOf({ "t.yaml": "{{- if .Values.enabled }}\nkind: Pod\nmetadata:\n  name: x\n{{- end }}\n" });
    expect((await discoverImages(store, desc, "directory")).notes[0]).toMatch(/^t\.yaml is not plain YAML/);
    const helm = await discoverImages(store, desc, "helm");
    expect(helm.images.size).toBe(0);
    expect(helm.notes[0]).toContain("Helm chart package");
  });
});

describe("platforms", () => {
  async function index() {
    const store = new MemoryStore();
    const child = (arch: string, variant?: string) => {
      const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: digestOf(arch), size: arch.length }, layers: [] }));
      return { desc: { mediaType: MediaType.ociManifest, digest: digestOf(bytes), size: bytes.byteLength, platform: { os: "linux", architecture: arch, ...(variant ? { variant } : {}) } }, bytes };
    };
    const children = [child("amd64"), child("arm64", "v8"), child("arm", "v7")];
    const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: children.map((c) => c.desc) }));
    const desc = { mediaType: MediaType.ociIndex, digest: digestOf(bytes), size: bytes.byteLength };
    await store.push(desc, bytes);
    return { store, desc, children };
  }

  test("an index is narrowed to the platform's manifest; a pinned one is kept whole", async () => {
    const { store, desc, children } = await index();
    const arm = await choosePlatform(store, desc, parsePlatform("linux/arm64"), false, "img");
    expect(arm.descriptor.digest).toBe(children[1]!.desc.digest);
    expect(arm.platform).toBe("linux/arm64/v8");
    const pinned = await choosePlatform(store, desc, parsePlatform("linux/arm64"), true, "img");
    expect(pinned.descriptor.digest).toBe(desc.digest);
    expect(pinned.note).toContain("pinned");
    await expect(choosePlatform(store, desc, parsePlatform("linux/s390x"), false, "img")).rejects.toThrow(NotFoundError);
  });

  test("platform syntax", () => {
    expect(parsePlatform("linux/arm/v7")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    for (const bad of ["linux", "linux/", "Linux/AMD64", "a/b/c/d"]) expect(() => parsePlatform(bad)).toThrow(InvalidInputError);
  });
});
