import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { digestOf } from "../../src/oci/digest.ts";
import { lockDependencies, StaleLockError } from "../../src/package/deps.ts";
import { readLockfile } from "../../src/package/lockfile.ts";
import { resolveDependencies, UnsatisfiableError, type PackageIndex, type PackageMetadata } from "../../src/package/resolve.ts";
import type { Dependency } from "../../src/package/spec.ts";
import { tempDir } from "../helpers/idp.ts";

/**
 * The resolver is a pure algorithm over a PackageIndex; here the index is table data in
 * memory (the registry-backed index has its own tests against idp serve).
 */
class TableIndex implements PackageIndex {
  calls = { tags: new Map<string, number>(), describe: 0 };
  constructor(public table: Record<string, Record<string, Dependency[]>>, public extraTags: Record<string, string[]> = {}) {}
  async tags(repository: string): Promise<string[]> {
    this.calls.tags.set(repository, (this.calls.tags.get(repository) ?? 0) + 1);
    return [...Object.keys(this.table[repository] ?? {}), ...(this.extraTags[repository] ?? [])];
  }
  async describe(repository: string, version: string): Promise<PackageMetadata> {
    this.calls.describe++;
    const deps = this.table[repository]?.[version];
    if (!deps) throw new Error(`no ${repository}:${version}`);
    return { digest: digestOf(`${repository}:${version}:${JSON.stringify(this.table[repository]![version])}`), name: repository.split("/").pop()!, version, dependencies: deps };
  }
}

const R = "reg.example";
const dep = (repository: string, version: string): Dependency => ({ repository, version });
const root = (...dependencies: Dependency[]) => ({ name: "app", version: "1.0.0", dependencies });

describe("resolveDependencies", () => {
  test("picks the highest version satisfying each range, through the whole graph", async () => {
    const index = new TableIndex({
      [`${R}/p/a`]: { "1.0.0": [dep("p/b", "^2.0.0")], "1.4.0": [dep("p/b", "^2.1.0")], "2.0.0": [] },
      [`${R}/p/b`]: { "2.0.0": [], "2.1.0": [], "2.3.1": [], "3.0.0": [] },
    });
    const res = await resolveDependencies(root(dep("p/a", "^1.0.0")), index, { registry: R });
    expect(res.packages.map((p) => `${p.repository}@${p.version}:${p.level}`)).toEqual([`${R}/p/b@2.3.1:0`, `${R}/p/a@1.4.0:1`]);
    expect(res.packages[1]!.dependencies).toEqual([{ repository: `${R}/p/b`, version: "^2.1.0" }]);
  });

  test("backtracks when the newest choice makes a conflict further down", async () => {
    const index = new TableIndex({
      [`${R}/a`]: { "1.1.0": [dep("b", "^1.0.0")], "1.2.0": [dep("b", "^2.0.0")] },
      [`${R}/c`]: { "1.0.0": [dep("b", "^1.0.0")] },
      [`${R}/b`]: { "1.0.0": [], "1.5.0": [], "2.0.0": [] },
    });
    const res = await resolveDependencies(root(dep("a", "^1.0.0"), dep("c", "^1.0.0")), index, { registry: R });
    const versions = Object.fromEntries(res.packages.map((p) => [p.name, p.version]));
    expect(versions).toEqual({ a: "1.1.0", b: "1.5.0", c: "1.0.0" });
  });

  test("an impossible graph is explained with the chain behind each range", async () => {
    const index = new TableIndex({
      [`${R}/ingress`]: { "1.0.0": [dep("base", "^2.0.0")] },
      [`${R}/catalog`]: { "1.0.0": [dep("base", "^1.0.0")] },
      [`${R}/base`]: { "1.0.0": [], "1.1.0": [], "2.0.0": [] },
    });
    const run = resolveDependencies(root(dep("ingress", "^1.0.0"), dep("catalog", "^1.0.0")), index, { registry: R });
    await expect(run).rejects.toBeInstanceOf(UnsatisfiableError);
    const message = (await run.catch((e: Error) => e.message)) as string;
    expect(message).toContain(`no version of ${R}/base satisfies every requirement`);
    expect(message).toMatch(/\^2\.0\.0 required by app@1\.0\.0 → ingress@1\.0\.0/);
    expect(message).toMatch(/\^1\.0\.0 required by app@1\.0\.0 → catalog@1\.0\.0/);
    expect(message).toContain("available: 1.0.0, 1.1.0, 2.0.0");
  });

  test("a range nothing satisfies names the available versions", async () => {
    const index = new TableIndex({ [`${R}/a`]: { "1.0.0": [] } }, { [`${R}/a`]: ["latest", "v2"] });
    await expect(resolveDependencies(root(dep("a", "^3.0.0")), index, { registry: R })).rejects.toThrow(/available: 1\.0\.0$/m);
  });

  test("cycles are detected and shown", async () => {
    const index = new TableIndex({
      [`${R}/a`]: { "1.0.0": [dep("b", "^1.0.0")] },
      [`${R}/b`]: { "1.0.0": [dep("c", "^1.0.0")] },
      [`${R}/c`]: { "1.0.0": [dep("a", "^1.0.0")] },
    });
    await expect(resolveDependencies(root(dep("a", "^1.0.0")), index, { registry: R })).rejects.toThrow(/dependency cycle .*: a@1\.0\.0 → b@1\.0\.0 → c@1\.0\.0 → a@1\.0\.0/);
  });

  test("prereleases only when asked; non-semver tags are ignored", async () => {
    const index = new TableIndex({ [`${R}/a`]: { "1.0.0": [], "1.1.0-rc.1": [] } }, { [`${R}/a`]: ["latest", "v1.2.0", "1.2"] });
    const stable = await resolveDependencies(root(dep("a", "^1.0.0")), index, { registry: R });
    expect(stable.packages[0]!.version).toBe("1.0.0");
    const pre = await resolveDependencies(root(dep("a", "^1.0.0")), index, { registry: R, includePrerelease: true });
    expect(pre.packages[0]!.version).toBe("1.1.0-rc.1");
  });

  test("relative repositories resolve against the dependent's registry; absolute ones stay", async () => {
    const index = new TableIndex({
      [`${R}/a`]: { "1.0.0": [dep("other.example:5000/x", "1.0.0"), dep("b", "1.0.0")] },
      [`${R}/b`]: { "1.0.0": [] },
      ["other.example:5000/x"]: { "1.0.0": [dep("y", "1.0.0")] },
      ["other.example:5000/y"]: { "1.0.0": [] },
    });
    const res = await resolveDependencies(root(dep("a", "1.0.0")), index, { registry: R });
    expect(res.packages.map((p) => p.repository).sort()).toEqual([`${R}/a`, `${R}/b`, "other.example:5000/x", "other.example:5000/y"].sort());
  });

  test("preferred (locked) versions are kept while they satisfy", async () => {
    const index = new TableIndex({ [`${R}/a`]: { "1.0.0": [], "1.1.0": [], "1.2.0": [] } });
    const res = await resolveDependencies(root(dep("a", "^1.0.0")), index, { registry: R, preferred: new Map([[`${R}/a`, "1.1.0"]]) });
    expect(res.packages[0]!.version).toBe("1.1.0");
  });

  test("a synthetic graph of 200 packages × 5 versions lists each repository's tags once", async () => {
    const table: Record<string, Record<string, Dependency[]>> = {};
    for (let i = 0; i < 200; i++) {
      const versions: Record<string, Dependency[]> = {};
      for (let v = 0; v < 5; v++) {
        const deps: Dependency[] = [];
        for (let k = 1; k <= 3 && i + k * 7 < 200; k++) deps.push(dep(`pkg${i + k * 7}`, `>=1.${v % 3}.0 <2.0.0`));
        versions[`1.${v}.0`] = deps;
      }
      table[`${R}/pkg${i}`] = versions;
    }
    const index = new TableIndex(table);
    const res = await resolveDependencies(root(...Array.from({ length: 7 }, (_, i) => dep(`pkg${i}`, "^1.0.0"))), index, { registry: R });
    expect(res.packages.length).toBe(200);
    expect(Math.max(...index.calls.tags.values())).toBe(1);
    expect(res.requests.tagLists).toBe(200);
    expect(res.requests.metadata).toBe(200);
  });
});

describe("idp.lock", () => {
  const work = tempDir("idp-lock-");
  afterAll(() => work.remove());
  const table = {
    [`${R}/base`]: { "1.0.0": [], "1.1.0": [] },
    [`${R}/ingress`]: { "2.0.0": [dep("base", "^1.0.0")] },
  } as Record<string, Record<string, Dependency[]>>;

  function project(deps: string): string {
    const dir = join(work.path, `proj${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "idp.yaml"), `name: app\nversion: 1.0.0\ndependencies:\n${deps}`);
    return dir;
  }

  test("lock writes every node pinned to a digest; --locked reuses it; a re-pushed version is caught", async () => {
    const dir = project("  - repository: ingress\n    version: ^2.0.0\n");
    const index = new TableIndex(structuredClone(table));
    const first = await lockDependencies(dir, index, { registry: R });
    expect(first.written).toBe(join(dir, "idp.lock"));
    const lock = (await readLockfile(dir))!;
    expect(lock.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["base@1.1.0", "ingress@2.0.0"]);
    expect(lock.packages.every((p) => p.digest.startsWith("sha256:"))).toBe(true);
    expect(readFileSync(join(dir, "idp.lock"), "utf8")).toStartWith("# Written by `idp deps lock`");
    expect(first.changed.map((c) => c.name).sort()).toEqual(["base", "ingress"]);

    const locked = await lockDependencies(dir, index, { registry: R, locked: true });
    expect(locked.resolution.packages.map((p) => `${p.name}:${p.level}`)).toEqual(["base:0", "ingress:1"]);

    // someone re-pushes base 1.1.0 with different content
    index.table[`${R}/base`]!["1.1.0"] = [dep("ingress", ">=0.0.0-0 <0.0.0")];
    await expect(lockDependencies(dir, index, { registry: R, locked: true })).rejects.toThrow(/base:1\.1\.0 is sha256:.* but idp\.lock pins sha256:/);
  });

  test("a lock that no longer fits idp.yaml is stale for --locked, and re-resolved otherwise", async () => {
    const dir = project("  - repository: ingress\n    version: ^2.0.0\n");
    const index = new TableIndex(structuredClone(table));
    await lockDependencies(dir, index, { registry: R });
    writeFileSync(join(dir, "idp.yaml"), "name: app\nversion: 1.0.0\ndependencies:\n  - repository: base\n    version: 1.0.0\n");
    await expect(lockDependencies(dir, index, { registry: R, locked: true })).rejects.toBeInstanceOf(StaleLockError);
    const again = await lockDependencies(dir, index, { registry: R });
    expect(again.lock.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["base@1.0.0"]);
  });

  test("update moves only the named package; an unsatisfiable change writes no lockfile", async () => {
    const dir = project("  - repository: base\n    version: ^1.0.0\n");
    const index = new TableIndex({ [`${R}/base`]: { "1.0.0": [] } });
    await lockDependencies(dir, index, { registry: R });
    index.table[`${R}/base`]!["1.2.0"] = [];
    const kept = await lockDependencies(dir, index, { registry: R });
    expect(kept.lock.packages[0]!.version).toBe("1.0.0");
    const moved = await lockDependencies(dir, index, { registry: R, update: ["base"] });
    expect(moved.lock.packages[0]!.version).toBe("1.2.0");
    expect(moved.changed).toEqual([{ name: "base", repository: `${R}/base`, from: "1.0.0", to: "1.2.0" }]);
    await expect(lockDependencies(dir, index, { registry: R, update: ["nope"] })).rejects.toThrow(/no locked package named nope/);

    const before = readFileSync(join(dir, "idp.lock"), "utf8");
    writeFileSync(join(dir, "idp.yaml"), "name: app\nversion: 1.0.0\ndependencies:\n  - repository: base\n    version: ^9.0.0\n");
    await expect(lockDependencies(dir, index, { registry: R })).rejects.toBeInstanceOf(UnsatisfiableError);
    expect(readFileSync(join(dir, "idp.lock"), "utf8")).toBe(before);
  });
});
