import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Annotation, MediaType, PackageMediaType } from "../../src/oci/mediatypes.ts";
import { buildPackage } from "../../src/package/build.ts";
import { movingTagsFor } from "../../src/package/push.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { idpBinary, REPO_ROOT, startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";

/**
 * Packages end to end: built reproducibly, shaped so Argo CD's OCI source, Flux's
 * OCIRepository and `oras pull` take them as they are, pushed to idp serve and Distribution,
 * resolved, locked and pulled through the compiled binary.
 */
const EXAMPLES = join(REPO_ROOT, "examples/packages");
const work = tempDir("idp-pkg-");
const env = { ...process.env, IDP_HOME: join(work.path, "home"), NO_COLOR: "1" };
afterAll(() => work.remove());

async function idp(args: string[], allowFail = false) {
  return run([idpBinary(), ...args], { env, cwd: work.path, allowFail });
}

function copyExample(name: string, as = name): string {
  const dir = join(work.path, `${as}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(EXAMPLES, name), dir, { recursive: true });
  return dir;
}

function files(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

describe("building a package", () => {
  test("is reproducible: same files, any times or owners, same digest", async () => {
    const a = copyExample("ingress");
    const b = copyExample("ingress");
    for (const f of readdirSync(b)) utimesSync(join(b, f), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const first = await buildPackage(a);
    const second = await buildPackage(b);
    expect(second.manifest.digest).toBe(first.manifest.digest);
    expect(second.layer.digest).toBe(first.layer.digest);
    await first.staged.dispose();
    await second.staged.dispose();
    writeFileSync(join(b, "namespace.yaml"), readFileSync(join(b, "namespace.yaml"), "utf8") + "# changed\n");
    const third = await buildPackage(b);
    expect(third.manifest.digest).not.toBe(first.manifest.digest);
    await third.staged.dispose();
  });

  test("has the shape Argo CD, Flux and oras need: one tar+gzip layer, idp artifact type, OCI annotations", async () => {
    const dir = copyExample("app-catalog");
    const out = join(work.path, "layout-shape");
    const built = JSON.parse((await idp(["package", "build", dir, "-o", `oci-layout:${out}`, "--json"])).stdout) as { digest: string; version: string };
    const manifestPath = join(out, "blobs", "sha256", built.digest.slice(7));
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      mediaType: string;
      artifactType: string;
      config: { mediaType: string };
      layers: { mediaType: string; annotations: Record<string, string> }[];
      annotations: Record<string, string>;
    };
    // Argo CD: exactly one layer, of a media type its repo-server accepts by default.
    expect(manifest.layers.length).toBe(1);
    expect(manifest.layers[0]!.mediaType).toBe(MediaType.ociLayerGzip);
    // Flux: a tar+gzip layer it can select by media type and extract.
    // oras: a titled layer marked for unpacking at the root.
    expect(manifest.layers[0]!.annotations[Annotation.title]).toBe(".");
    expect(manifest.layers[0]!.annotations[Annotation.orasUnpack]).toBe("true");
    expect(manifest.mediaType).toBe(MediaType.ociManifest);
    expect(manifest.artifactType).toBe(PackageMediaType.artifact);
    expect(manifest.config.mediaType).toBe(PackageMediaType.config);
    expect(manifest.annotations[Annotation.title]).toBe("app-catalog");
    expect(manifest.annotations[Annotation.version]).toBe("0.3.0");
    expect(manifest.annotations[Annotation.description]).toContain("podinfo");
    expect(manifest.annotations[Annotation.created]).toBeUndefined();
    expect(built.version).toBe("0.3.0");
    // the layer holds exactly the selected files at its root: no idp.yaml, no excluded docs
    const listing = await run(["tar", "-tzf", join(out, "blobs", "sha256", JSON.parse(readFileSync(manifestPath, "utf8")).layers[0].digest.slice(7))]);
    expect(listing.stdout.trim().split("\n").sort()).toEqual(["ingress.yaml", "podinfo.yaml"]);
  });

  test("created comes only from SOURCE_DATE_EPOCH, which also stamps the files, reproducibly", async () => {
    const dir = copyExample("platform-base");
    const at = async (epoch?: string) => {
      const out = join(work.path, `epoch-${epoch ?? "none"}-${Math.random().toString(36).slice(2, 6)}`);
      const res = await run([idpBinary(), "package", "build", dir, "-o", `oci-layout:${out}`, "--json"], { env: epoch ? { ...env, SOURCE_DATE_EPOCH: epoch } : env });
      const digest = JSON.parse(res.stdout).digest as string;
      const manifest = JSON.parse(readFileSync(join(out, "blobs", "sha256", digest.slice(7)), "utf8")) as { annotations: Record<string, string> };
      return { digest, created: manifest.annotations[Annotation.created] };
    };
    const a = await at("1700000000");
    const b = await at("1700000000");
    const none = await at();
    expect(b.digest).toBe(a.digest);
    expect(a.created).toBe("2023-11-14T22:13:20Z");
    expect(none.created).toBeUndefined();
    expect(none.digest).not.toBe(a.digest);
  });

  test("an invalid package does not build, and says where", async () => {
    const dir = copyExample("ingress");
    writeFileSync(join(dir, "broken.yaml"), "apiVersion: v1\nmetadata:\n  name: x\n");
    const res = await idp(["package", "build", dir], true);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/is not a valid package \(1 problem\):\n {2}broken\.yaml:1:1: missing kind/);
    expect(res.stderr).toMatch(/hint: run `idp package validate/);
  });
});

for (const kind of ["idp", "distribution"] as const) {
  describe(`packages on ${kind}`, () => {
    let reg: RegistryUnderTest;
    beforeAll(async () => {
      reg = kind === "idp" ? await startIdp() : await startDistribution();
    });
    afterAll(async () => {
      await reg?.stop();
    });

    test("push the examples, resolve, lock and pull the closure", async () => {
      for (const name of ["platform-base", "ingress", "app-catalog"]) {
        const res = JSON.parse((await idp(["package", "push", join(EXAMPLES, name), `${reg.host}/examples/${name}`, "--moving-tags", "--json"])).stdout) as { tags: string[] };
        expect(res.tags).toContain("latest");
      }
      const app = copyExample("app-catalog");
      const tree = (await idp(["deps", "tree", app, "--registry", reg.host])).stdout;
      expect(tree).toBe(["app-catalog@0.3.0", "├── ingress@1.2.0 (^1.2.0)", "│   └── platform-base@1.0.0 (^1.0.0)", "└── base → platform-base@1.0.0 (>=1.0.0 <2.0.0) (seen above)", ""].join("\n"));
      await idp(["deps", "lock", app, "--registry", reg.host]);
      const lock = readFileSync(join(app, "idp.lock"), "utf8");
      expect(lock).toContain(`repository: ${reg.host}/examples/ingress`);
      expect((await idp(["deps", "lock", app, "--registry", reg.host, "--locked"])).code).toBe(0);

      const vendor = join(work.path, `vendor-${kind}`);
      await idp(["package", "pull", app, "--with-deps", "-o", vendor]);
      expect(files(vendor)).toEqual(["ingress/ingress-nginx.yaml", "ingress/namespace.yaml", "platform-base/cert-manager.yaml", "platform-base/namespaces.yaml", "platform-base/project.yaml"]);
      const fromRef = join(work.path, `vendor-ref-${kind}`);
      const pulled = JSON.parse((await idp(["package", "pull", `${reg.host}/examples/app-catalog:0.3.0`, "--with-deps", "-o", fromRef, "--json"])).stdout) as { name: string }[];
      expect(pulled.map((p) => p.name).sort()).toEqual(["app-catalog", "ingress", "platform-base"]);
      expect(readFileSync(join(fromRef, "app-catalog", "ingress.yaml"), "utf8")).toBe(readFileSync(join(EXAMPLES, "app-catalog", "ingress.yaml"), "utf8"));
    });

    test("oras pull unpacks a package into exactly its files", async () => {
      const out = join(work.path, `oras-${kind}`);
      mkdirSync(out);
      await run([peer("oras"), "pull", "--plain-http", `${reg.host}/examples/ingress:1.2.0`], { cwd: out });
      expect(files(out)).toEqual(["ingress-nginx.yaml", "namespace.yaml"]);
    });

    test("re-pushing unchanged uploads nothing; a changed exact version needs --force", async () => {
      const dir = copyExample("platform-base");
      const again = JSON.parse((await idp(["package", "push", dir, `${reg.host}/examples/platform-base`, "--json"])).stdout) as { unchanged: boolean; bytes: number };
      expect(again).toMatchObject({ unchanged: true, bytes: 0 });
      writeFileSync(join(dir, "extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n");
      const refused = await idp(["package", "push", dir, `${reg.host}/examples/platform-base`], true);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: version 1\.0\.0 of platform-base exists with other content/m);
      expect(refused.stderr).toMatch(/^hint: bump version/m);
      const forced = JSON.parse((await idp(["package", "push", dir, `${reg.host}/examples/platform-base`, "--force", "--json"])).stdout) as { unchanged: boolean };
      expect(forced.unchanged).toBe(false);
      // a lock made before the re-push now fails --locked, naming the package
      const app = copyExample("ingress");
      await idp(["deps", "lock", app, "--registry", reg.host]);
      await idp(["package", "push", copyExample("platform-base"), `${reg.host}/examples/platform-base`, "--force"]);
      const stale = await idp(["deps", "lock", app, "--registry", reg.host, "--locked"], true);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toMatch(/platform-base:1\.0\.0 is sha256:.* but idp\.lock pins sha256:/);
    });

    test("moving tags only move forward", async () => {
      const dir = copyExample("platform-base");
      const repo = `${reg.host}/moving/base`;
      for (const version of ["1.0.0", "1.1.0", "1.0.1", "2.0.0-rc.1"]) {
        writeFileSync(join(dir, "idp.yaml"), readFileSync(join(dir, "idp.yaml"), "utf8").replace(/^version: .*$/m, `version: ${version}`));
        await idp(["package", "push", dir, repo, "--moving-tags"]);
      }
      const digest = async (tag: string) => (await idp(["resolve", `${repo}:${tag}`])).stdout.trim();
      expect(await digest("1.0")).toBe(await digest("1.0.1"));
      expect(await digest("1")).toBe(await digest("1.1.0"));
      expect(await digest("latest")).toBe(await digest("1.1.0"));
      const versions = (await idp(["package", "versions", repo])).stdout.trim().split("\n");
      expect(versions).toEqual(["1.1.0", "1.0.1", "1.0.0"]);
      const withPre = (await idp(["package", "versions", repo, "--prerelease"])).stdout.trim().split("\n");
      expect(withPre[0]).toBe("2.0.0-rc.1");
    });

    test("a dependency that is not an idp package, or a registry that is down, is one clear error", async () => {
      await run([peer("oras"), "push", "--plain-http", `${reg.host}/not/a-package:1.0.0`, "--artifact-type", "application/vnd.example"], { cwd: work.path });
      const dir = copyExample("ingress");
      writeFileSync(join(dir, "idp.yaml"), "name: x\nversion: 1.0.0\ndependencies:\n  - repository: not/a-package\n    version: ^1.0.0\n");
      const res = await idp(["deps", "resolve", dir, "--registry", reg.host], true);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^error: .*not\/a-package:1\.0\.0 is not an idp package/m);
      const down = await idp(["deps", "resolve", dir, "--registry", "127.0.0.1:1", "--retries", "0"], true);
      expect(down.code).toBe(1);
      expect(down.stderr.split("\n")[0]).toMatch(/^error: .*127\.0\.0\.1:1/);
      expect(down.stderr).not.toContain("    at ");
    });
  });
}

describe("moving tags", () => {
  test("each moving tag goes to the newest release of its line", () => {
    expect(movingTagsFor("1.2.3", ["1.2.0", "1.2.3", "1.3.0"])).toEqual(["1.2"]);
    expect(movingTagsFor("1.3.1", ["1.2.0", "1.3.0", "1.3.1", "2.0.0"])).toEqual(["1.3", "1"]);
    expect(movingTagsFor("2.0.0", ["1.9.0", "2.0.0", "3.0.0-rc.1"])).toEqual(["2.0", "2", "latest"]);
  });
});
