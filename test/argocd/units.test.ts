import { describe, expect, test } from "bun:test";
import { applicationsFor, syncWaves, type PackageTarget } from "../../src/integrations/argocd/app.ts";
import { parseGitRef, parseGitSource } from "../../src/integrations/argocd/git-source.ts";
import { InvalidInputError } from "../../src/errors/index.ts";
import { validateArgoObject } from "./crd.ts";

/** The pure parts, in-process: sync-wave arithmetic and the git source grammar. */

const target = (name: string, dependencies: string[], syncWave?: number): PackageTarget => ({
  name,
  repository: `reg.example.com/p/${name}`,
  version: "1.0.0",
  digest: `sha256:${"a".repeat(64)}`,
  dependencies: dependencies.map((d) => `reg.example.com/p/${d}`),
  config: { apiVersion: "idp.dev/v1alpha1", name, version: "1.0.0", maintainers: [], dependencies: [], annotations: {}, kind: "directory", files: 1, ...(syncWave === undefined ? {} : { argocd: { syncWave } }) },
});

describe("sync waves", () => {
  test("each package after all of its dependencies, never before its own syncWave", () => {
    const waves = syncWaves([target("app", ["db", "base"]), target("db", ["base"]), target("base", [], 5), target("tools", [], -1)]);
    expect(Object.fromEntries([...waves].map(([r, w]) => [r.split("/").pop(), w]))).toEqual({ base: 5, db: 6, app: 7, tools: -1 });
  });

  test("Applications come out in wave order and pass the Application CRD", () => {
    const apps = applicationsFor([target("app", ["base"]), target("base", [])], { gitSources: [parseGitSource("https://g.example.com/x.git@v1:deploy")] });
    expect(apps.map((a) => a.metadata.name)).toEqual(["base", "app"]);
    expect(apps[1]!.spec.sources?.length).toBe(2);
    expect(apps[0]!.spec.sources).toBeUndefined(); // git sources go to the root package only
    for (const a of apps) expect(validateArgoObject(a)).toEqual([]);
  }, 30_000);
});

describe("git sources", () => {
  test("URL@REV[:PATH] with https, ssh and scp-like URLs", () => {
    expect(parseGitSource("https://git.example.com/a.git@main")).toEqual({ repoURL: "https://git.example.com/a.git", targetRevision: "main" });
    expect(parseGitSource("git@github.com:org/repo.git@v1.2.0:apps/web")).toEqual({ repoURL: "git@github.com:org/repo.git", targetRevision: "v1.2.0", path: "apps/web" });
    expect(parseGitSource("ssh://git@host:2222/r.git@3f1c2a:x")).toEqual({ repoURL: "ssh://git@host:2222/r.git", targetRevision: "3f1c2a", path: "x" });
    expect(parseGitRef("values=https://git.example.com/v.git@main")).toEqual({ repoURL: "https://git.example.com/v.git", targetRevision: "main", ref: "values" });
  });

  test("refuses what is not a git source, with the form to use", () => {
    for (const bad of ["https://git.example.com/a.git", "git@github.com:org/repo.git", "https://x/a.git@main:../up", "https://x/a.git@main:", "not a url@main", "oci://r/p@1.0.0"]) {
      expect(() => parseGitSource(bad)).toThrow(InvalidInputError);
    }
    expect(() => parseGitRef("https://x/v.git@main")).toThrow("NAME=");
    expect(() => parseGitRef("v=https://x/v.git@main:path")).toThrow("no path");
  });
});
