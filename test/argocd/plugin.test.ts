import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { idpBinary, tempDir } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { isArgoObject, validateArgoObject } from "./crd.ts";
import { EXAMPLES, FIXTURES, startWorld, yamlDocs, type World } from "./setup.ts";

/**
 * The Config Management Plugin route. No Argo CD runs here, so the repo-server is played by
 * the test: it reads the ConfigManagementPlugin file `plugin install` wrote and runs its
 * generate command exactly as the CMP server does — the command and args from the file, in the
 * Application's source directory, with only the sidecar's environment plus the build
 * variables (ARGOCD_APP_*) and the Application's plugin.env (ARGOCD_ENV_*), no TTY, no stdin.
 */

let world: World;
let work: { path: string; remove(): void };
let plugin: { spec: { generate: { command: string[]; args: string[] } } };
let bin: string;

beforeAll(async () => {
  world = await startWorld();
  work = tempDir("idp-cmp-test-");
  bin = join(work.path, "bin");
  mkdirSync(bin);
  symlinkSync(idpBinary(), join(bin, "idp"));
  await world.idp(["argocd", "plugin", "install", "-o", join(work.path, "install"), "--image", "registry.example.com/platform/idp-cmp:0.1.0"]);
  plugin = parse(readFileSync(join(work.path, "install", "plugin.yaml"), "utf8"));
}, 60_000);
afterAll(async () => {
  await world?.stop();
  work?.remove();
});

/** Runs generate as the repo-server's plugin sidecar would. */
async function repoServerGenerate(sourceDir: string, pluginEnv: Record<string, string>) {
  const env: Record<string, string> = {
    // The sidecar's own environment (what repo-server-patch.yaml sets, and a PATH with idp).
    PATH: bin,
    HOME: join(work.path, "home"),
    IDP_HOME: join(work.path, "idp-home"),
    IDP_OCI_CACHE_DIR: join(work.path, "idp-home", "cache"),
    // The build environment Argo CD adds.
    ARGOCD_APP_NAME: "catalog",
    ARGOCD_APP_NAMESPACE: "catalog",
    ARGOCD_APP_PROJECT_NAME: "default",
    ARGOCD_APP_REVISION: "f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8",
    ARGOCD_APP_REVISION_SHORT: "f913b6c",
    ARGOCD_APP_SOURCE_PATH: "deploy",
    ARGOCD_APP_SOURCE_REPO_URL: "https://git.example.com/platform/deploy.git",
    ARGOCD_APP_SOURCE_TARGET_REVISION: "main",
    KUBE_VERSION: "1.31.0",
    KUBE_API_VERSIONS: "v1,apps/v1,argoproj.io/v1alpha1",
    ...Object.fromEntries(Object.entries(pluginEnv).map(([k, v]) => [`ARGOCD_ENV_${k}`, v])),
  };
  const { command, args } = plugin.spec.generate;
  return run([...command, ...args], { env, cwd: sourceDir, allowFail: true });
}

/** The objects in a package directory's top-level files, as the plugin should print them. */
function objectsIn(dir: string): Record<string, any>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "idp.yaml" && f !== "idp.lock")
    .sort()
    .flatMap((f) => yamlDocs(readFileSync(join(dir, f), "utf8")));
}

function checkout(name: string): string {
  const dir = join(work.path, "checkouts", name, "deploy");
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("idp argocd plugin", () => {
  test("install writes the ConfigManagementPlugin, its ConfigMap and the repo-server sidecar patch", () => {
    expect(plugin).toMatchObject({ apiVersion: "argoproj.io/v1alpha1", kind: "ConfigManagementPlugin", metadata: { name: "idp" } });
    expect(plugin.spec.generate).toEqual({ command: ["idp"], args: ["argocd", "plugin", "generate"] });
    const [configMap] = yamlDocs(readFileSync(join(work.path, "install", "configmap.yaml"), "utf8"));
    expect(parse(configMap!.data["plugin.yaml"])).toEqual(plugin);
    const [patch] = yamlDocs(readFileSync(join(work.path, "install", "repo-server-patch.yaml"), "utf8"));
    const sidecar = patch!.spec.template.spec.containers[0];
    expect(sidecar.command).toEqual(["/var/run/argocd/argocd-cmp-server"]);
    expect(sidecar.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 999 });
    expect(sidecar.volumeMounts.find((m: any) => m.subPath === "plugin.yaml").mountPath).toBe("/home/argocd/cmp-server/config/plugin.yaml");
    expect(patch!.spec.template.spec.volumes.map((v: any) => v.name)).toEqual(["idp-cmp-plugin", "idp-cmp-tmp"]);
  });

  test("generate prints exactly the package's objects, pulled at the digest its tag resolved to", async () => {
    const res = await repoServerGenerate(checkout("one"), { IDP_PACKAGE: `${world.server.host}/examples/ingress:1.2` });
    expect(res.code).toBe(0);
    const objects = yamlDocs(res.stdout);
    expect(objects).toEqual(objectsIn(join(EXAMPLES, "ingress")));
    for (const o of objects.filter(isArgoObject)) expect(validateArgoObject(o)).toEqual([]);
    const digest = (await world.idp(["resolve", `${world.server.host}/examples/ingress:1.2.0`])).stdout.trim();
    expect(res.stderr).toContain(`ingress@1.2.0 (${digest.slice(0, 19)}`);
  });

  test("a pinned digest that no longer matches fails with nothing on stdout", async () => {
    const wrong = `sha256:${"0".repeat(64)}`;
    const res = await repoServerGenerate(checkout("pinned"), { IDP_PACKAGE: `${world.server.host}/examples/ingress:1.2.0`, IDP_DIGEST: wrong });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain(`not the pinned ${wrong}`);
  });

  test("a range picks the highest matching version", async () => {
    const res = await repoServerGenerate(checkout("range"), { IDP_PACKAGE: `${world.server.host}/examples/platform-base`, IDP_VERSION: ">=1.0.0 <2.0.0" });
    expect(res.code).toBe(0);
    expect(yamlDocs(res.stdout)).toEqual(objectsIn(join(EXAMPLES, "platform-base")));
  });

  test("hybrid: a package in git with idp.lock renders its locked dependencies from OCI, then its own files", async () => {
    const source = checkout("hybrid");
    cpSync(join(EXAMPLES, "app-catalog"), source, { recursive: true });
    await world.idp(["deps", "lock", source, "--registry", world.server.host]);
    const res = await repoServerGenerate(source, {});
    expect(res.code).toBe(0);
    const expected = [...objectsIn(join(EXAMPLES, "platform-base")), ...objectsIn(join(EXAMPLES, "ingress")), ...objectsIn(source)];
    expect(yamlDocs(res.stdout)).toEqual(expected);
    expect(res.stdout).not.toContain("docs/"); // excluded files stay out
  });

  test("errors go to stderr with a non-zero exit and nothing on stdout", async () => {
    const nothing = await repoServerGenerate(checkout("empty"), {});
    expect([nothing.code, nothing.stdout]).toEqual([1, ""]);
    expect(nothing.stderr).toContain("nothing to render");
    const badEnv = await repoServerGenerate(checkout("bad"), { IDP_PACKAGE: `${world.server.host}/examples/ingress`, IDP_PATH: "../../etc" });
    expect([badEnv.code, badEnv.stdout]).toEqual([1, ""]);
    expect(badEnv.stderr).toContain("ARGOCD_ENV_IDP_PATH");
    const missing = await repoServerGenerate(checkout("missing"), { IDP_PACKAGE: `${world.server.host}/examples/nope:1.0.0` });
    expect([missing.code, missing.stdout]).toEqual([1, ""]);
  });

  test("a kustomize package needs kustomize in the sidecar, and says so", async () => {
    const pkg = join(work.path, "guestbook");
    cpSync(join(FIXTURES, "applicationSet/test1/apps/guestbook"), pkg, { recursive: true });
    writeFileSync(join(pkg, "idp.yaml"), "name: guestbook\nversion: 0.1.0\n");
    await world.idp(["package", "push", pkg, `${world.server.host}/examples/guestbook`, "--quiet"]);
    const res = await repoServerGenerate(checkout("kustomize"), { IDP_PACKAGE: `${world.server.host}/examples/guestbook:0.1.0` });
    expect([res.code, res.stdout]).toEqual([1, ""]);
    expect(res.stderr).toContain("needs kustomize or kubectl, which is not on PATH");
  });
});
