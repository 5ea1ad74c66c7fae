import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { InvalidInputError, NotFoundError } from "../../src/errors/index.ts";
import { formatProblem } from "../../src/package/load.ts";
import { readPackageSpec } from "../../src/package/load.ts";
import { validatePackage } from "../../src/package/validate.ts";
import { tempDir } from "../helpers/idp.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/upstream/idpbuilder-custom-packages");

const work = tempDir("idp-validate-");
afterAll(() => work.remove());
let n = 0;

/** Writes a package directory from a map of files. */
function pkg(files: Record<string, string>): string {
  const dir = join(work.path, `p${++n}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const SPEC = "name: web\nversion: 1.0.0\n";
const DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec: {}\n";
const APP = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: web
  source:
    repoURL: oci://registry.example.com/team/web
    targetRevision: 1.0.0
    path: .
`;

const errors = (r: Awaited<ReturnType<typeof validatePackage>>) => r.problems.filter((p) => p.severity === "error").map(formatProblem);
const warnings = (r: Awaited<ReturnType<typeof validatePackage>>) => r.problems.filter((p) => p.severity === "warning").map(formatProblem);

describe("idp.yaml", () => {
  test("a valid spec gets its defaults", async () => {
    const spec = await readPackageSpec(pkg({ "idp.yaml": SPEC, "a.yaml": DEPLOYMENT }));
    expect(spec).toMatchObject({ apiVersion: "idp.dev/v1alpha1", name: "web", version: "1.0.0", dependencies: [], include: ["**"], exclude: [] });
  });

  test("every schema error is reported with its line and column", async () => {
    const dir = pkg({
      "idp.yaml": "name: Web_App\nversion: v1.0\ndependencies:\n  - repository: platform/base\n    version: not-a-range\nunknownKey: 1\n",
      "a.yaml": DEPLOYMENT,
    });
    const report = await validatePackage(dir);
    const lines = errors(report);
    expect(lines).toContainEqual(expect.stringMatching(/^idp\.yaml:1:7: name: must be a DNS label/));
    expect(lines).toContainEqual(expect.stringMatching(/^idp\.yaml:2:10: version: must be a semantic version/));
    expect(lines).toContainEqual(expect.stringMatching(/^idp\.yaml:5:14: dependencies\.0\.version: must be a semver range/));
    expect(lines).toContainEqual(expect.stringMatching(/^idp\.yaml:6:\d+: unknownKey: unknown field/));
    await expect(readPackageSpec(dir)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(readPackageSpec(dir)).rejects.toThrow(/idp\.yaml:1:7: name: .*\(and 3 more; run `idp package validate/);
  });

  test("a missing idp.yaml says how to make one", async () => {
    const dir = pkg({ "a.yaml": DEPLOYMENT });
    await expect(readPackageSpec(dir)).rejects.toBeInstanceOf(NotFoundError);
    await expect(readPackageSpec(dir)).rejects.toThrow(/idp package init/);
  });

  test("YAML syntax errors have positions", async () => {
    const report = await validatePackage(pkg({ "idp.yaml": "name: web\nversion: [1.0\n" }));
    expect(errors(report)[0]).toMatch(/^idp\.yaml:\d+:\d+: /);
  });
});

describe("package contents", () => {
  test("a clean directory package has no problems and counts its objects", async () => {
    const report = await validatePackage(pkg({ "idp.yaml": SPEC, "deploy.yaml": `${DEPLOYMENT}---\n${APP}`, "README.md": "# web\n" }));
    expect(report.problems).toEqual([]);
    expect(report.kind).toBe("directory");
    expect(report.objects).toBe(2);
    expect(report.files.map((f) => f.path)).toEqual(["README.md", "deploy.yaml"]);
  });

  test("documents that are not Kubernetes objects are errors at their line", async () => {
    const report = await validatePackage(pkg({ "idp.yaml": SPEC, "bad.yaml": `${DEPLOYMENT}---\napiVersion: v1\nmetadata:\n  name: x\n---\n- just\n- a list\n` }));
    expect(errors(report)).toEqual(["bad.yaml:7:1: missing kind", "bad.yaml:11:1: document is not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)"]);
  });

  test("an object defined twice is an error pointing at the first", async () => {
    const report = await validatePackage(pkg({ "idp.yaml": SPEC, "a.yaml": DEPLOYMENT, "b.yaml": DEPLOYMENT }));
    expect(errors(report)).toEqual(["b.yaml:1: Deployment web is defined twice (first at a.yaml:1)"]);
  });

  test("plaintext Secrets are a warning, and warnings are not errors", async () => {
    const report = await validatePackage(pkg({ "idp.yaml": SPEC, "s.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web\nstringData:\n  password: hunter2\n" }));
    expect(errors(report)).toEqual([]);
    expect(warnings(report)).toEqual([expect.stringMatching(/^s\.yaml:7:3: warning: Secret web\/db holds plaintext values/)]);
  });

  test("Argo CD Applications and ApplicationSets need what Argo CD needs", async () => {
    const report = await validatePackage(
      pkg({
        "idp.yaml": SPEC,
        "app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  source:\n    repoURL: cnoe://./web\n",
        "set.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: s\nspec:\n  generators: []\n  template:\n    metadata:\n      name: x\n    spec:\n      project: default\n      destination:\n        name: in-cluster\n      sources:\n        - path: x\n",
      }),
    );
    expect(errors(report)).toEqual([
      "app.yaml:5:1: Application spec.destination is required (server or name, and namespace)",
      "app.yaml:5:1: Application spec.project is required (e.g. default)",
      "set.yaml:6:15: ApplicationSet needs at least one generator",
      "set.yaml:15:11: every Application source needs a repoURL",
    ].map((s) => expect.stringContaining(s.split(": ").slice(1).join(": "))) as unknown as string[]);
    expect(warnings(report)).toEqual([expect.stringContaining("cnoe:// path that only idpbuilder resolves")]);
  });

  test("include and exclude select the shipped files; idp's own files never ship", async () => {
    const dir = pkg({
      "idp.yaml": `${SPEC}include: ["manifests/**", "docs/*.md"]\nexclude: ["manifests/test/**"]\n`,
      "idp.lock": "lockfileVersion: 1\n",
      "manifests/a.yaml": DEPLOYMENT,
      "manifests/test/t.yaml": "not: validated",
      "docs/x.md": "x",
      "other.yaml": "not: shipped",
    });
    const report = await validatePackage(dir);
    expect(report.files.map((f) => f.path)).toEqual(["docs/x.md", "manifests/a.yaml"]);
    expect(report.problems).toEqual([]);
  });

  test("kustomize packages: the kustomization is not an object and patches only warn", async () => {
    const report = await validatePackage(
      pkg({ "idp.yaml": SPEC, "kustomization.yaml": "resources: [deploy.yaml]\npatches: [{path: patch.yaml}]\n", "deploy.yaml": DEPLOYMENT, "patch.yaml": "spec:\n  replicas: 2\n" }),
    );
    expect(report.kind).toBe("kustomize");
    expect(errors(report)).toEqual([]);
    expect(warnings(report).length).toBeGreaterThan(0);
  });

  test("helm packages: Chart.yaml is checked and templates are left to Helm", async () => {
    const dir = join(work.path, "helm");
    cpSync(join(FIXTURES, "helm/test"), dir, { recursive: true });
    writeFileSync(join(dir, "idp.yaml"), SPEC);
    const report = await validatePackage(dir);
    expect(report.kind).toBe("helm");
    expect(errors(report)).toEqual([]);
  });

  test("idpbuilder's real package directories validate once they have an idp.yaml", async () => {
    for (const sub of ["testDir/app1", "testDir2", "applicationSet/test1/apps/guestbook"]) {
      const dir = join(work.path, sub.replaceAll("/", "-"));
      cpSync(join(FIXTURES, sub), dir, { recursive: true });
      writeFileSync(join(dir, "idp.yaml"), SPEC);
      const report = await validatePackage(dir);
      expect({ sub, errors: errors(report) }).toEqual({ sub, errors: [] });
    }
  });

  test("an empty selection is an error", async () => {
    const report = await validatePackage(pkg({ "idp.yaml": `${SPEC}include: ["nothing/**"]\n`, "a.yaml": DEPLOYMENT }));
    expect(errors(report)).toEqual(["idp.yaml: the package ships no files: include/exclude select nothing"]);
  });
});

describe("idp package init", () => {
  test("scaffolds a package that validates clean, and refuses to overwrite without --force", async () => {
    const { initPackage } = await import("../../src/package/init.ts");
    const dir = join(work.path, "My_New Package");
    const files = await initPackage(dir);
    expect(files).toEqual(["idp.yaml", "configmap.yaml", "application.yaml"]);
    const report = await validatePackage(dir);
    expect(report.problems).toEqual([]);
    expect(report.spec?.name).toBe("my-new-package");
    expect(report.objects).toBe(2);
    await expect(initPackage(dir)).rejects.toThrow(/exists/);
    expect(await initPackage(dir, { force: true, name: "renamed" })).toHaveLength(3);
    expect((await readPackageSpec(dir)).name).toBe("renamed");
  });
});
