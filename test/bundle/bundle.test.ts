import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDistribution } from "../helpers/distribution.ts";
import { startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { randomContent } from "../helpers/oci.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { digestAt, idpRunner, pushMultiPlatform, pushSignature, pushSmallImage, writePackage, type Pushed } from "./fixtures.ts";

/**
 * Bundles through the compiled binary, between idp serve and CNCF Distribution 2.8: a package
 * with its dependency, its images and signatures goes into one tar, comes out in the other
 * registry with identical digests and tags, and back; skopeo reads the tar; idp imports what
 * skopeo and oras write.
 */
const work = tempDir("idp-bundle-");
const env = { ...process.env, IDP_HOME: join(work.path, "home"), DOCKER_CONFIG: join(work.path, "docker"), NO_COLOR: "1" };
const idp = idpRunner(env, work.path);
let a: RegistryUnderTest;
let b: RegistryUnderTest;
const pushed: Record<string, Pushed> = {};
let web: { index: Pushed; children: Pushed[] };

beforeAll(async () => {
  [a, b] = await Promise.all([startIdp(), startDistribution()]);
  web = await pushMultiPlatform(a.url, "library/web", "1.0");
  pushed.migrate = await pushSmallImage(a.url, "tools/migrate", "2.0", randomContent(3000));
  const base = writePackage(work.path, { name: "base", version: "1.0.0" });
  const app = writePackage(work.path, { name: "app", version: "1.0.0", dependencies: [{ repository: "platform/base", version: "^1.0.0" }], images: [`${a.host}/library/web:1.0`, `${a.host}/tools/migrate:2.0`] });
  writeFileSync(join(app, "argo.yaml"), "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: extras, namespace: argocd}\nspec:\n  project: default\n  destination: {server: https://kubernetes.default.svc}\n  source: {repoURL: https://charts.example.com, chart: extras, targetRevision: 1.0.0}\n");
  for (const [dir, repo] of [[base, "platform/base"], [app, "platform/app"]] as const) {
    const out = JSON.parse((await idp(["package", "push", dir, `${a.host}/${repo}`, "--json"])).stdout) as { digest: string };
    pushed[repo] = { digest: out.digest, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 0 };
  }
  pushed.appSig = await pushSignature(a.url, "platform/app", { ...pushed["platform/app"]!, size: await sizeOf(a.url, "platform/app", pushed["platform/app"]!.digest) });
  pushed.webSig = await pushSignature(a.url, "library/web", web.index);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  work.remove();
});

async function sizeOf(base: string, repo: string, digest: string): Promise<number> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${digest}`, { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
  return Number(res.headers.get("content-length"));
}

interface Inspection {
  entries: { reference?: string; role?: string; usedBy: string[]; platform?: string; descriptor: { digest: string } }[];
  undiscovered: { package: string; note: string }[];
  requested: string[];
}

const bundleA = () => join(work.path, "a.tar");

describe("bundle create, inspect, verify", () => {
  test("a package with its dependency, images and referrers goes into one tar", async () => {
    const res = await idp(["bundle", "create", `${a.host}/platform/app:1.0.0`, "--include-images", "-o", bundleA(), "--json"]);
    const result = JSON.parse(res.stdout) as { file: string; resumed: boolean; blobs: number };
    expect(result.file).toBe(bundleA());
    expect(result.resumed).toBe(false);
    expect(readdirSync(work.path).filter((n) => n.includes("idp-partial") || n.endsWith(".tmp"))).toEqual([]);

    const inspection = JSON.parse((await idp(["bundle", "inspect", bundleA(), "--json"])).stdout) as Inspection;
    const byRef = Object.fromEntries(inspection.entries.filter((e) => e.reference).map((e) => [e.reference!, e]));
    expect(byRef[`${a.host}/platform/app:1.0.0`]!.role).toBe("package");
    expect(byRef[`${a.host}/platform/base:1.0.0`]!.role).toBe("dependency");
    expect(byRef[`${a.host}/platform/base:1.0.0`]!.usedBy).toEqual(["app@1.0.0"]);
    expect(byRef[`${a.host}/library/web:1.0`]!.role).toBe("image");
    expect(byRef[`${a.host}/library/web:1.0`]!.descriptor.digest).toBe(web.index.digest);
    expect(byRef[`${a.host}/tools/migrate:2.0`]!.usedBy).toEqual(["app@1.0.0"]);
    const referrers = inspection.entries.filter((e) => e.role === "referrer").map((e) => e.descriptor.digest).sort();
    expect(referrers).toEqual([pushed.appSig!.digest, pushed.webSig!.digest].sort());
    expect(inspection.requested).toEqual([`${a.host}/platform/app:1.0.0`]);
    expect(inspection.undiscovered).toEqual([{ package: "app@1.0.0", note: expect.stringContaining("Helm chart extras 1.0.0 from https://charts.example.com") }]);

    const text = (await idp(["bundle", "inspect", bundleA()])).stdout;
    expect(text).toContain("1 packages, 1 dependencies, 2 images, 0 other artifacts, 2 referrers");
    expect(text).toContain("not discovered");
    expect((await idp(["bundle", "verify", bundleA()])).stdout).toMatch(/ok: 6 roots, \d+ manifests, \d+ blobs/);
  });

  test("a package directory brings the closure its idp.lock pins, checked against the registry", async () => {
    const dir = writePackage(work.path, { name: "site", version: "0.1.0", dependencies: [{ repository: "platform/app", version: "^1.0.0" }] });
    const out = join(work.path, "locked.tar");
    const unlocked = await idp(["bundle", "create", dir, "-o", out, "--registry", a.host], true);
    expect(unlocked.code).toBe(1);
    expect(unlocked.stderr).toContain("has no idp.lock");
    await idp(["deps", "lock", dir, "--registry", a.host]);
    await idp(["bundle", "create", dir, "-o", out, "--registry", a.host]);
    const inspection = JSON.parse((await idp(["bundle", "inspect", out, "--json"])).stdout) as Inspection;
    const named = inspection.entries.filter((e) => e.reference).map((e) => [e.reference, e.role, e.usedBy]);
    expect(named).toEqual([
      [`${a.host}/platform/base:1.0.0`, "dependency", ["app@1.0.0"]],
      [`${a.host}/platform/app:1.0.0`, "dependency", ["site@0.1.0"]],
    ]);
  });

  test("--platform keeps one platform's manifest under the image's tag", async () => {
    const out = join(work.path, "arm.tar");
    await idp(["bundle", "create", `${a.host}/platform/app:1.0.0`, "--include-images", "--platform", "linux/arm64", "-o", out]);
    const inspection = JSON.parse((await idp(["bundle", "inspect", out, "--json"])).stdout) as Inspection;
    const image = inspection.entries.find((e) => e.reference === `${a.host}/library/web:1.0`)!;
    expect(image.descriptor.digest).toBe(web.children[1]!.digest);
    expect(image.platform).toBe("linux/arm64");
    expect((await idp(["bundle", "verify", out])).code).toBe(0);
  });
});

describe("bundle import", () => {
  test("into Distribution, with identical digests and tags, referrers included; again copies nothing", async () => {
    const res = JSON.parse((await idp(["bundle", "import", bundleA(), b.host, "--json"])).stdout) as { copied: number; verification: { problems: string[]; blobsRead: number } };
    expect(res.copied).toBeGreaterThan(0);
    expect(res.verification.problems).toEqual([]);
    expect(res.verification.blobsRead).toBeGreaterThan(0);
    expect(await digestAt(b.url, "platform/app", "1.0.0")).toBe(pushed["platform/app"]!.digest);
    expect(await digestAt(b.url, "platform/base", "1.0.0")).toBe(pushed["platform/base"]!.digest);
    expect(await digestAt(b.url, "library/web", "1.0")).toBe(web.index.digest);
    for (const child of web.children) expect(await digestAt(b.url, "library/web", child.digest)).toBe(child.digest);
    expect(await digestAt(b.url, "tools/migrate", "2.0")).toBe(pushed.migrate!.digest);
    // Distribution 2.8 has no referrers API: the signature travels in the referrers tag.
    expect(await digestAt(b.url, "platform/app", pushed.appSig!.digest)).toBe(pushed.appSig!.digest);
    expect(await digestAt(b.url, "platform/app", `sha256-${pushed["platform/app"]!.digest.slice(7)}`)).toBeDefined();
    const again = JSON.parse((await idp(["bundle", "import", bundleA(), b.host, "--json"])).stdout) as { copied: number };
    expect(again.copied).toBe(0);
  });

  test("under a prefix: every repository lands at PREFIX/its path", async () => {
    const lines = (await idp(["bundle", "import", bundleA(), `${b.host}/mirror`, "--verify", "exists"])).stdout.trim().split("\n");
    expect(lines).toContain(`${b.host}/mirror/platform/app:1.0.0@${pushed["platform/app"]!.digest}`);
    expect(await digestAt(b.url, "mirror/library/web", "1.0")).toBe(web.index.digest);
  });

  test("round trip: a bundle made from Distribution imports into idp serve with the same digests", async () => {
    const back = join(work.path, "from-b.tar");
    await idp(["bundle", "create", `${b.host}/platform/app:1.0.0`, `${b.host}/library/web:1.0`, "-o", back]);
    const inspection = JSON.parse((await idp(["bundle", "inspect", back, "--json"])).stdout) as Inspection;
    expect(inspection.entries.filter((e) => e.role === "referrer").map((e) => e.descriptor.digest).sort()).toEqual([pushed.appSig!.digest, pushed.webSig!.digest].sort());
    await idp(["bundle", "import", back, `${a.host}/roundtrip`]);
    expect(await digestAt(a.url, "roundtrip/platform/app", "1.0.0")).toBe(pushed["platform/app"]!.digest);
    expect(await digestAt(a.url, "roundtrip/platform/base", "1.0.0")).toBe(pushed["platform/base"]!.digest);
    expect(await digestAt(a.url, "roundtrip/library/web", "1.0")).toBe(web.index.digest);
    const referrers = (await (await fetch(`${a.url}/v2/roundtrip/library/web/referrers/${web.index.digest}`)).json()) as { manifests: { digest: string }[] };
    expect(referrers.manifests.map((m) => m.digest)).toEqual([pushed.webSig!.digest]);
  });
});

describe("interop with skopeo and oras", () => {
  test("skopeo copy oci-archive:BUNDLE:REF reads what idp wrote", async () => {
    const skopeo = peer("skopeo");
    await run([skopeo, "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", `oci-archive:${bundleA()}:${a.host}/library/web:1.0`, `docker://${b.host}/skopeo/web:1.0`]);
    expect(await digestAt(b.url, "skopeo/web", "1.0")).toBe(web.index.digest);
    const raw = (await run([skopeo, "inspect", "--raw", `oci-archive:${bundleA()}:${a.host}/platform/app:1.0.0`])).stdout;
    expect(new Bun.CryptoHasher("sha256").update(raw).digest("hex")).toBe(pushed["platform/app"]!.digest.slice(7));
  });

  test("idp imports an oci-archive and an oci layout directory that skopeo wrote (bare tags → the given repository)", async () => {
    const skopeo = peer("skopeo");
    const archive = join(work.path, "skopeo.tar");
    const dir = join(work.path, "skopeo-layout");
    await run([skopeo, "copy", "--all", "--preserve-digests", "--src-tls-verify=false", `docker://${a.host}/library/web:1.0`, `oci-archive:${archive}:v1`]);
    await run([skopeo, "copy", "--all", "--preserve-digests", "--src-tls-verify=false", `docker://${a.host}/tools/migrate:2.0`, `oci:${dir}:v2`]);
    const bare = await idp(["bundle", "import", archive, b.host], true);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain("names its content by tag only (v1), so it needs a repository");
    await idp(["bundle", "import", archive, `${b.host}/from-skopeo/web`]);
    await idp(["bundle", "import", dir, `${b.host}/from-skopeo/migrate`]);
    expect(await digestAt(b.url, "from-skopeo/web", "v1")).toBe(web.index.digest);
    expect(await digestAt(b.url, "from-skopeo/migrate", "v2")).toBe(pushed.migrate!.digest);
  });

  test("idp imports an oci layout that oras wrote, referrers included", async () => {
    const dir = join(work.path, "oras-layout");
    await run([peer("oras"), "cp", "-r", "--from-plain-http", `${a.host}/platform/app:1.0.0`, "--to-oci-layout", `${dir}:1.0.0`]);
    expect(existsSync(join(dir, "index.json"))).toBe(true);
    await idp(["bundle", "verify", dir]);
    await idp(["bundle", "import", dir, `${a.host}/from-oras/app`]);
    expect(await digestAt(a.url, "from-oras/app", "1.0.0")).toBe(pushed["platform/app"]!.digest);
    const referrers = (await (await fetch(`${a.url}/v2/from-oras/app/referrers/${pushed["platform/app"]!.digest}`)).json()) as { manifests: { digest: string }[] };
    expect(referrers.manifests.map((m) => m.digest)).toEqual([pushed.appSig!.digest]);
  });
});
