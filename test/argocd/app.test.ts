import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/idp.ts";
import { validateArgoObject } from "./crd.ts";
import { EXAMPLES, startWorld, yamlDocs, type World } from "./setup.ts";

/**
 * `idp argocd app` through the compiled binary against idp serve. No Argo CD runs here: every
 * rendered Application is checked against Argo CD 3.6's Application CRD instead.
 */

let world: World;
let validated = 0;
const valid = (objects: unknown[]) => {
  for (const o of objects) {
    expect(validateArgoObject(o)).toEqual([]);
    validated++;
  }
  return objects as Record<string, any>[];
};

beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  await world?.stop();
  console.log(`argocd app: ${validated} Applications validated against the Application CRD`);
});

describe("idp argocd app", () => {
  test("one package: the native OCI source at its exact version, defaults from its idp.yaml", async () => {
    const res = await world.idp(["argocd", "app", `${world.server.host}/examples/platform-base:1.0.0`]);
    const [app, ...rest] = valid(yamlDocs(res.stdout));
    expect(rest).toEqual([]);
    expect(app!.metadata).toEqual({ name: "platform-base", namespace: "argocd", annotations: { "argocd.argoproj.io/sync-wave": "0" } });
    expect(app!.spec.source).toEqual({ repoURL: `oci://${world.server.host}/examples/platform-base`, targetRevision: "1.0.0", path: "." });
    expect(app!.spec.destination).toEqual({ server: "https://kubernetes.default.svc", namespace: "platform" });
    expect(app!.spec.syncPolicy).toEqual({ automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] });
  });

  test("a package with dependencies: one Application per package of the closure, dependencies in earlier waves", async () => {
    const res = await world.idp(["argocd", "app", `${world.server.host}/examples/app-catalog`, "--argocd-registry", "registry.example.com"]);
    const apps = valid(yamlDocs(res.stdout));
    expect(apps.map((a) => [a.metadata.name, a.metadata.annotations["argocd.argoproj.io/sync-wave"], a.spec.source.targetRevision])).toEqual([
      ["platform-base", "0", "1.0.0"],
      ["ingress", "1", "1.2.0"],
      ["app-catalog", "2", "0.3.0"],
    ]);
    for (const a of apps) {
      expect(a.metadata.labels).toEqual({ "app.kubernetes.io/part-of": "app-catalog" });
      expect(a.spec.source.repoURL).toBe(`oci://registry.example.com/examples/${a.metadata.name}`);
    }
  });

  test("digests, JSON, flags: name, namespaces, project, auto-sync", async () => {
    const res = await world.idp([
      "argocd", "app", `${world.server.host}/examples/ingress:1.2`, "--revision", "digest", "-o", "json",
      "--name", "edge", "--namespace", "gitops", "--dest-namespace", "edge-system", "--project", "platform", "--auto-sync",
    ]);
    const list = JSON.parse(res.stdout);
    expect(list.kind).toBe("List");
    const items = valid(list.items);
    const digests = await Promise.all(["platform-base:1.0.0", "ingress:1.2.0"].map(async (r) => (await world.idp(["resolve", `${world.server.host}/examples/${r}`])).stdout.trim()));
    expect(items.map((a) => a.spec.source.targetRevision)).toEqual(digests);
    const edge = items.find((a) => a.metadata.name === "edge")!;
    expect(edge.metadata.namespace).toBe("gitops");
    expect(edge.spec.destination.namespace).toBe("edge-system");
    expect(items.find((a) => a.metadata.name === "platform-base")!.spec.destination.namespace).toBe("platform");
    expect(items.every((a) => a.spec.project === "platform" && a.spec.syncPolicy.automated.selfHeal === true)).toBe(true);
  });

  test("a semver range for one package; refused for a closure", async () => {
    const res = await world.idp(["argocd", "app", `${world.server.host}/examples/ingress`, "--revision", "^1.0.0", "--without-deps"]);
    const [app] = valid(yamlDocs(res.stdout));
    expect(app!.spec.source.targetRevision).toBe("^1.0.0");
    const refused = await world.idp(["argocd", "app", `${world.server.host}/examples/ingress`, "--revision", "^1.0.0"], { allowFail: true });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("cannot pin ingress's 1 dependencies");
  });

  test("hybrid: git sources and a git ref for Helm values beside the OCI package", async () => {
    const res = await world.idp([
      "argocd", "app", `${world.server.host}/examples/platform-base:1.0.0`,
      "--git-source", "https://git.example.com/platform/overlays.git@v2.0.0:clusters/prod",
      "--git-ref", "values=git@git.example.com:platform/values.git@main",
      "--values", "$values/platform-base/prod.yaml",
    ]);
    const [app] = valid(yamlDocs(res.stdout));
    expect(app!.spec.source).toBeUndefined();
    expect(app!.spec.sources).toEqual([
      { repoURL: `oci://${world.server.host}/examples/platform-base`, targetRevision: "1.0.0", path: ".", helm: { valueFiles: ["$values/platform-base/prod.yaml"] } },
      { repoURL: "https://git.example.com/platform/overlays.git", targetRevision: "v2.0.0", path: "clusters/prod" },
      { repoURL: "git@git.example.com:platform/values.git", targetRevision: "main", ref: "values" },
    ]);
  });

  test("a package directory with idp.lock: its locked closure, and the package itself with --repository", async () => {
    const work = tempDir();
    try {
      const dir = join(work.path, "app-catalog");
      cpSync(join(EXAMPLES, "app-catalog"), dir, { recursive: true });
      await world.idp(["deps", "lock", dir, "--registry", world.server.host]);
      const deps = await world.idp(["argocd", "app", dir]);
      expect(valid(yamlDocs(deps.stdout)).map((a) => a.metadata.name)).toEqual(["platform-base", "ingress"]);
      expect(deps.stderr).toContain("locked dependencies only");
      const all = await world.idp(["argocd", "app", dir, "--repository", `${world.server.host}/examples/app-catalog`]);
      expect(valid(yamlDocs(all.stdout)).map((a) => `${a.metadata.name}@${a.metadata.annotations["argocd.argoproj.io/sync-wave"]}`)).toEqual(["platform-base@0", "ingress@1", "app-catalog@2"]);
    } finally {
      work.remove();
    }
  });

  test("bad input: one line on stderr, nothing on stdout, exit 1 or 2", async () => {
    const cases: [string[], number, string][] = [
      [["argocd", "app", `${world.server.host}/examples/nothing`], 1, "error: no version of"],
      [["argocd", "app", `${world.server.host}/examples/ingress:1.2.0`, "--git-source", "https://git.example.com/x.git"], 1, "no @REV"],
      [["argocd", "app", `${world.server.host}/examples/ingress:1.2.0`, "--git-source", "oci://r/x@1"], 1, "that is an OCI repository"],
      [["argocd", "app", `${world.server.host}/examples/ingress:1.2.0`, "-o", "toml"], 1, "yaml or json"],
      [["argocd", "app", `${world.server.host}/examples/ingress:1.2.0`, "--name", "Edge_Proxy"], 1, "metadata.name: must be lower-case"],
      [["argocd", "app", `${world.server.host}/examples/ingress:1.2.0`, "--revision", "latest-ish"], 2, "not version, digest nor a semver range"],
    ];
    for (const [args, code, message] of cases) {
      const res = await world.idp(args, { allowFail: true });
      expect({ args, code: res.code }).toEqual({ args, code });
      expect(res.stdout).toBe("");
      expect(res.stderr).toContain(message);
      expect(res.stderr).not.toContain("    at ");
    }
  });
});
