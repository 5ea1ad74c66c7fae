import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { tempDir } from "../helpers/idp.ts";
import { isArgoObject, validateArgoObject } from "../argocd/crd.ts";
import { FIXTURES, startWorld, yamlDocs, type World } from "../argocd/setup.ts";

/**
 * `idp migrate idpbuilder` on the real idpbuilder custom-package trees: every package pulled
 * back holds exactly the files of the directory it came from, every rewritten object still
 * passes Argo CD 3.6's CRD schemas (the stand-in for a cluster: none runs here), re-running
 * changes nothing, and the fixture trees are never written to.
 */

const TREES = ["testDir", "testDir2", "helm", "applicationSet"];
let world: World;
let out: { path: string; remove(): void };
let validated = 0;

/** Every file under `dir`, relative, with its bytes. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files[relative(dir, full)] = readFileSync(full, "base64");
    }
  };
  walk(dir);
  return files;
}

function argoObjects(dir: string): Record<string, any>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((f) => yamlDocs(readFileSync(join(dir, f), "utf8")))
    .filter(isArgoObject);
}

function expectValid(objects: Record<string, any>[]): void {
  for (const o of objects) {
    expect({ name: o.metadata.name, problems: validateArgoObject(o) }).toEqual({ name: o.metadata.name, problems: [] });
    validated++;
  }
}

beforeAll(async () => {
  world = await startWorld({ push: false });
  out = tempDir("idp-migrate-test-");
}, 60_000);
afterAll(async () => {
  await world?.stop();
  out?.remove();
  console.log(`migrate: ${validated} rewritten objects validated against the Argo CD CRDs`);
});

describe("idp migrate idpbuilder on the idpbuilder fixture trees", () => {
  for (const tree of TREES) {
    test(`${tree}: packages round-trip to the exact files, objects rewritten and valid, re-running is idempotent`, async () => {
      const src = join(FIXTURES, tree);
      const before = snapshot(src);
      const target = join(out.path, tree);
      const registry = `${world.server.host}/idpbuilder`;
      const first = await world.idp(["migrate", "idpbuilder", src, "--registry", registry, "-o", target, "--json"]);
      const report = JSON.parse(first.stdout);
      expect(snapshot(src)).toEqual(before); // the tree is read, never written

      for (const p of report.packages) {
        const pulled = join(out.path, "pulled", tree);
        await world.idp(["package", "pull", `${p.repository}:${p.version}`, "-o", pulled]);
        expect(snapshot(join(pulled, p.name))).toEqual(snapshot(join(src, p.directory)));
        expect(p.status).toBe("pushed");
      }
      const objects = argoObjects(target);
      expect(objects.length).toBe(report.objects.length);
      expectValid(objects);
      // No cnoe:// is left but the ones the report lists as kept, with a reason.
      const kept = report.objects.flatMap((o: any) => o.kept.map((k: any) => k.value));
      const remaining = objects.flatMap((o) => JSON.stringify(o).match(/cnoe:\/\/[^"]+/g) ?? []);
      expect(remaining.sort()).toEqual(kept.sort());
      for (const o of report.objects) for (const k of o.kept) expect(k.why.length).toBeGreaterThan(20);

      const again = JSON.parse((await world.idp(["migrate", "idpbuilder", src, "--registry", registry, "-o", target, "--json"])).stdout);
      expect(again.packages.map((p: any) => [p.name, p.digest, p.status])).toEqual(report.packages.map((p: any) => [p.name, p.digest, "unchanged"]));
      expect(argoObjects(target)).toEqual(objects);
      const onOutput = JSON.parse((await world.idp(["migrate", "idpbuilder", target, "--registry", registry, "--dry-run", "--json"])).stdout);
      expect(onOutput.packages).toEqual([]);
      expect(onOutput.objects.every((o: any) => o.changes.length === 0)).toBe(true);
      expect(readFileSync(join(target, "idp-migration.txt"), "utf8")).toContain(`objects (${report.objects.length})`);
    }, 60_000);
  }

  test("what each fixture tree becomes", async () => {
    const read = (tree: string, file: string) => yamlDocs(readFileSync(join(out.path, tree, file), "utf8"))[0]!;
    const reg = `oci://${world.server.host}/idpbuilder`;
    expect(read("testDir", "app.yaml").spec.source).toEqual({ repoURL: `${reg}/app1`, targetRevision: "0.1.0", path: "." });
    expect(read("testDir", "app2.yaml").spec.sources).toEqual([
      { repoURL: `${reg}/app2`, targetRevision: "0.1.0", path: "one" },
      { repoURL: `${reg}/app2`, targetRevision: "0.1.0", path: "two" },
    ]);
    const helm = read("helm", "app.yaml").spec.source;
    expect([helm.repoURL, helm.targetRevision]).toEqual([`${reg}/test`, "0.1.0"]); // Chart.yaml's version
    expect(helm.helm.valuesObject).toEqual({ repoURLGit: `${reg}/test`, nested: { repoURLGit: `${reg}/test` } });
    const set = read("applicationSet", "generator-single-source.yaml").spec;
    expect(set.generators[0].git.repoURL).toBe("cnoe://test1"); // kept: no OCI generator in Argo CD 3.6
    expect(set.template.spec.source).toEqual({ repoURL: `${reg}/test1`, targetRevision: "0.1.0", path: "{{path}}" });
    expect(readFileSync(join(out.path, "testDir2", "exampleApp.yaml"), "utf8")).toBe(readFileSync(join(FIXTURES, "testDir2", "exampleApp.yaml"), "utf8"));
  });

  test("--dry-run prints the plan with the same digests and writes and pushes nothing", async () => {
    const target = join(out.path, "dry");
    const res = await world.idp(["migrate", "idpbuilder", join(FIXTURES, "testDir"), "--registry", `${world.server.host}/dry`, "-o", target, "--dry-run"]);
    expect(res.stdout).toContain("dry run: nothing pushed or written");
    expect(res.stdout).toContain("app1 → ");
    expect(res.stdout).toContain("would push");
    expect(existsSync(target)).toBe(false);
    const versions = await world.idp(["package", "versions", `${world.server.host}/dry/app1`], { allowFail: true });
    expect(versions.stdout).toBe("");
  });
});

describe("idp migrate idpbuilder on harder trees", () => {
  test("nested matrix git generators and ref sources stay git (mapped with --git-url); names that clash are made unique", async () => {
    const tree = join(import.meta.dir, "trees", "matrix");
    const target = join(out.path, "matrix");
    const res = await world.idp([
      "migrate", "idpbuilder", tree, "--registry", `${world.server.host}/hard`, "-o", target, "--json",
      "--git-url", "platform=https://git.example.com/platform/platform.git", "--package-version", "2.0.0",
    ]);
    const report = JSON.parse(res.stdout);
    expect(report.packages.map((p: any) => [p.directory, p.name, p.version])).toEqual([
      ["platform", "platform", "2.0.0"],
      ["team-a/web", "team-a-web", "2.0.0"],
      ["team-b/web", "team-b-web", "2.0.0"],
    ]);
    const objects = argoObjects(target);
    expectValid(objects);
    const set = objects.find((o) => o.kind === "ApplicationSet")!;
    expect(set.spec.generators[0].matrix.generators[0].git.repoURL).toBe("https://git.example.com/platform/platform.git");
    expect(set.spec.template.spec.sources[0]).toMatchObject({ repoURL: `oci://${world.server.host}/hard/platform`, targetRevision: "2.0.0", path: "{{.path.path}}" });
    expect(set.spec.template.spec.sources[0].helm.values).toBe(`platformRepo: oci://${world.server.host}/hard/platform\n`);
    expect(set.spec.template.spec.sources[1]).toEqual({ repoURL: "cnoe://values", targetRevision: "HEAD", ref: "values" });
    const setReport = report.objects.find((o: any) => o.kind === "ApplicationSet");
    expect(setReport.status).toBe("partly rewritten");
    expect(setReport.kept).toEqual([expect.objectContaining({ path: "spec.template.spec.sources[1].repoURL", value: "cnoe://values" })]);
    expect(setReport.kept[0].why).toContain("git only");
    expect(readFileSync(join(target, "apps.yaml"), "utf8")).toContain("# the team apps, kept as comments say"); // comments survive
  }, 60_000);

  test("bad trees fail with one line, and nothing is pushed or written", async () => {
    const target = join(out.path, "broken");
    const res = await world.idp(["migrate", "idpbuilder", join(import.meta.dir, "trees", "broken"), "--registry", `${world.server.host}/broken`, "-o", target], { allowFail: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("cnoe://missing names");
    expect(res.stderr).not.toContain("    at ");
    expect(existsSync(target)).toBe(false);
    expect((await world.idp(["package", "versions", `${world.server.host}/broken/ok`], { allowFail: true })).stdout).toBe("");
    const usage = await world.idp(["migrate", "idpbuilder", join(FIXTURES, "testDir")], { allowFail: true });
    expect([usage.code, usage.stdout]).toEqual([2, ""]);
    expect(usage.stderr).toContain("--registry is required");
  });

  test("a changed directory under an existing version is refused, and the earlier output stays", async () => {
    const target = join(out.path, "testDir");
    const stamp = statSync(join(target, "app.yaml")).mtimeMs;
    const res = await world.idp(["migrate", "idpbuilder", join(import.meta.dir, "trees", "changed"), "--registry", `${world.server.host}/idpbuilder`, "-o", target], { allowFail: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("version 0.1.0 of app1 exists with other content");
    expect(statSync(join(target, "app.yaml")).mtimeMs).toBe(stamp);
    const bumped = await world.idp(["migrate", "idpbuilder", join(import.meta.dir, "trees", "changed"), "--registry", `${world.server.host}/idpbuilder`, "-o", join(out.path, "changed"), "--package-version", "app1=0.2.0"]);
    expect(bumped.stdout).toContain("app1 → ");
    expect(yamlDocs(readFileSync(join(out.path, "changed", "app.yaml"), "utf8"))[0]!.spec.source.targetRevision).toBe("0.2.0");
  });
});
