import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { idpBinary } from "../helpers/idp.ts";
import { content, json, pushBlob, putManifest, randomContent, type Content } from "../helpers/oci.ts";
import { run } from "../helpers/process.ts";

/**
 * Content for the bundle and sync tests, pushed with plain HTTP (what any client sends): a
 * multi-platform image whose platforms share a layer, a signature that refers to a manifest,
 * and packages whose Deployments run those images.
 */

export interface Pushed {
  digest: string;
  mediaType: string;
  size: number;
}

/** An image for two platforms sharing one layer, under `tag`; returns the index and children. */
export async function pushMultiPlatform(base: string, repo: string, tag: string, shared: Content = randomContent(4096)): Promise<{ index: Pushed; children: Pushed[] }> {
  await pushBlob(base, repo, shared);
  const children: (Pushed & { platform: { os: string; architecture: string } })[] = [];
  for (const architecture of ["amd64", "arm64"]) {
    const config = json({ architecture, os: "linux", rootfs: { type: "layers", diff_ids: [] }, tag });
    const own = randomContent(2048);
    await pushBlob(base, repo, config);
    await pushBlob(base, repo, own);
    const manifest = json({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
      layers: [shared, own].map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
    });
    await expectCreated(putManifest(base, repo, manifest.digest, manifest, MediaType.ociManifest));
    children.push({ mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size, platform: { os: "linux", architecture } });
  }
  const index = json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: children });
  await expectCreated(putManifest(base, repo, tag, index, MediaType.ociIndex));
  return { index: { mediaType: MediaType.ociIndex, digest: index.digest, size: index.size }, children };
}

/** A small single-platform image under `tag`, its one layer `shared` (so many tags share it). */
export async function pushSmallImage(base: string, repo: string, tag: string, shared: Content): Promise<Pushed> {
  const config = json({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, tag });
  await pushBlob(base, repo, config);
  await pushBlob(base, repo, shared);
  const manifest = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: shared.digest, size: shared.size }],
  });
  await expectCreated(putManifest(base, repo, tag, manifest, MediaType.ociManifest));
  return { mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size };
}

/** A signature-like artifact whose subject is `subject` (pushed by digest: referrers are untagged). */
export async function pushSignature(base: string, repo: string, subject: Pushed): Promise<Pushed> {
  const empty = content("{}");
  const sig = content(`signature of ${subject.digest} ${crypto.randomUUID()}`);
  await pushBlob(base, repo, empty);
  await pushBlob(base, repo, sig);
  const manifest = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: "application/vnd.example.signature.v1",
    config: { mediaType: MediaType.ociEmpty, digest: empty.digest, size: empty.size },
    layers: [{ mediaType: "application/vnd.example.signature.v1+bytes", digest: sig.digest, size: sig.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  });
  await expectCreated(putManifest(base, repo, manifest.digest, manifest, MediaType.ociManifest));
  return { mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size };
}

/** Writes a package directory whose Deployment runs `images`. */
export function writePackage(dir: string, spec: { name: string; version: string; dependencies?: { repository: string; version: string }[]; images?: string[] }): string {
  const path = join(dir, `${spec.name}-${spec.version}`);
  mkdirSync(path, { recursive: true });
  const deps = (spec.dependencies ?? []).map((d) => `  - repository: ${d.repository}\n    version: "${d.version}"\n`).join("");
  writeFileSync(join(path, "idp.yaml"), `name: ${spec.name}\nversion: ${spec.version}\n${deps ? `dependencies:\n${deps}` : ""}`);
  const containers = (spec.images ?? []).map((image, i) => `        - name: c${i}\n          image: ${image}\n`).join("");
  writeFileSync(
    join(path, "workload.yaml"),
    containers
      ? `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${spec.name}\nspec:\n  selector: {matchLabels: {app: ${spec.name}}}\n  template:\n    metadata: {labels: {app: ${spec.name}}}\n    spec:\n      containers:\n${containers}`
      : `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${spec.name}\ndata: {a: b}\n`,
  );
  return path;
}

/** Runs the compiled binary with a private home; returns its output (allowFail keeps failures). */
export function idpRunner(env: Record<string, string | undefined>, cwd: string) {
  return (args: string[], allowFail = false) => run([idpBinary(), ...args], { env, cwd, allowFail });
}

/** Resident memory of a process, bytes (0 once it is gone). */
export function rss(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The digest a registry serves for `repo:reference` (HEAD), or undefined. */
export async function digestAt(base: string, repo: string, reference: string): Promise<string | undefined> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${reference}`, {
    method: "HEAD",
    headers: { Accept: [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList].join(", ") },
  });
  return res.status === 200 ? (res.headers.get("docker-content-digest") ?? undefined) : undefined;
}

async function expectCreated(res: Promise<Response>): Promise<void> {
  const r = await res;
  if (r.status !== 201) throw new Error(`manifest PUT answered ${r.status}: ${await r.text()}`);
}
