import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startDistribution } from "../helpers/distribution.ts";
import { startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { randomContent } from "../helpers/oci.ts";
import { digestAt, pushSignature, pushSmallImage, writePackage, type Pushed } from "../bundle/fixtures.ts";
import { byTarget, syncHarness } from "./setup.ts";

/**
 * `idp sync` through the compiled binary between idp serve and CNCF Distribution 2.8, both
 * ways: a first pass copies, a second copies nothing at about one request per tag; filters,
 * dry runs, referrers, package dependencies and their images, mounts within one registry.
 */
const work = tempDir("idp-sync-");
const { idp, config, sync } = syncHarness(work.path);
let a: RegistryUnderTest;
let b: RegistryUnderTest;
const TAGS = ["1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0", "latest", "dev"];
const web: Record<string, Pushed> = {};
let signature: Pushed;
let app: string;
let base: string;

beforeAll(async () => {
  [a, b] = await Promise.all([startIdp(), startDistribution()]);
  const shared = randomContent(64 * 1024);
  for (const tag of TAGS) web[tag] = await pushSmallImage(a.url, "apps/web", tag, shared);
  signature = await pushSignature(a.url, "apps/web", web["1.0.0"]!);
  const baseDir = writePackage(work.path, { name: "base", version: "1.0.0" });
  const appDir = writePackage(work.path, { name: "app", version: "1.0.0", dependencies: [{ repository: "platform/base", version: "^1.0.0" }], images: [`${a.host}/apps/web:1.0.0`] });
  base = (await idp(["package", "push", baseDir, `${a.host}/platform/base`, "-q"])).stdout.trim();
  app = (await idp(["package", "push", appDir, `${a.host}/platform/app`, "-q"])).stdout.trim();
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  work.remove();
});

describe("idp serve → Distribution", () => {
  test("the first pass copies every tag with its referrers; the second copies nothing, at about one request per tag", async () => {
    const path = config(`sync:\n  - source: ${a.host}\n    target: ${b.host}/mirror\n    repositories: [apps/web]\nstate: state-1.json\n`);
    const first = await sync(path);
    expect(first.code).toBe(0);
    const repo = byTarget(first.report)[`${b.host}/mirror/apps/web`]!;
    expect([repo.copied, repo.skipped, repo.failed]).toEqual([TAGS.length, 0, 0]);
    for (const tag of TAGS) expect(await digestAt(b.url, "mirror/apps/web", tag)).toBe(web[tag]!.digest);
    expect(await digestAt(b.url, "mirror/apps/web", signature.digest)).toBe(signature.digest);

    const second = await sync(path);
    const again = byTarget(second.report)[`${b.host}/mirror/apps/web`]!;
    expect([again.copied, again.skipped, again.failed]).toEqual([0, TAGS.length, 0]);
    const requests = Object.values(second.report.requests).reduce((x, y) => x + y, 0);
    // Source: one tag list and one HEAD per tag; target: one tag list (the state says the rest).
    expect(requests).toBeLessThanOrEqual(TAGS.length + 2);
    expect(second.report.requests[b.host]).toBe(1);

    // Without the state every target tag is looked at once: still no transfer.
    const stateless = await sync(config(`sync:\n  - { source: ${a.host}, target: ${b.host}/mirror, repositories: [apps/web] }\n`));
    expect(byTarget(stateless.report)[`${b.host}/mirror/apps/web`]!.copied).toBe(0);
    expect(stateless.report.requests[b.host]).toBe(1 + TAGS.length);
  });

  test("a tag moved at the source is copied again, even with the state saying otherwise", async () => {
    const path = config(`sync:\n  - { source: ${a.host}, target: ${b.host}/moved, repositories: [apps/web], tags: { allow: ["^dev$"] } }\nstate: state-moved.json\n`);
    await sync(path);
    const moved = await pushSmallImage(a.url, "apps/web", "dev", randomContent(1000));
    const res = await sync(path);
    expect(byTarget(res.report)[`${b.host}/moved/apps/web`]!.copied).toBe(1);
    expect(await digestAt(b.url, "moved/apps/web", "dev")).toBe(moved.digest);
  });

  test("tag filters: regex allow and deny, and a semver range", async () => {
    const path = config(`sync:\n  - source: ${a.host}/apps\n    target: ${b.host}/filtered\n    repositories: [web]\n    tags: { allow: ["^\\\\d"], deny: ["^2\\\\."], semver: ">=1.0.0" }\n`);
    const res = await sync(path);
    expect(byTarget(res.report)[`${b.host}/filtered/web`]!.copied).toBe(2);
    expect((await idp(["tags", `${b.host}/filtered/web`])).stdout.trim().split("\n").filter((t) => !t.startsWith("sha256-")).sort()).toEqual(["1.0.0", "1.1.0"]);
  });

  test("--dry-run plans without writing", async () => {
    const res = await sync(config(`sync:\n  - { source: ${a.host}, target: ${b.host}/dry, repositories: [apps/web] }\n`), ["--dry-run"]);
    expect(res.report.dryRun).toBe(true);
    expect(byTarget(res.report)[`${b.host}/dry/apps/web`]!.copied).toBe(TAGS.length);
    expect(await digestAt(b.url, "dry/apps/web", "1.0.0")).toBeUndefined();
    const text = await idp(["sync", "--config", config(`sync:\n  - { source: ${a.host}, target: ${b.host}/dry, repositories: [apps/web] }\n`), "--dry-run"]);
    expect(text.stdout).toContain(`to copy ${TAGS.length}, skipped 0, failed 0`);
  });

  test("--follow-deps --include-images: a package brings its dependency closure and the images it runs", async () => {
    const path = config(`sync:\n  - source: ${a.host}\n    target: ${b.host}/deps\n    repositories: [platform/app]\n`);
    const res = await sync(path, ["--follow-deps", "--include-images"]);
    expect(res.code).toBe(0);
    const reports = byTarget(res.report);
    expect(reports[`${b.host}/deps/platform/base`]!.kind).toBe("dependency");
    expect(reports[`${b.host}/deps/apps/web`]!.kind).toBe("image");
    expect(await digestAt(b.url, "deps/platform/app", "1.0.0")).toBe(app);
    expect(await digestAt(b.url, "deps/platform/base", "1.0.0")).toBe(base);
    expect(await digestAt(b.url, "deps/apps/web", "1.0.0")).toBe(web["1.0.0"]!.digest);
    expect(await digestAt(b.url, "deps/apps/web", "2.0.0")).toBeUndefined();
    const again = await sync(path, ["--follow-deps", "--include-images"]);
    expect(again.report.repositories.every((r) => r.copied === 0 && r.failed === 0)).toBe(true);
  });
});

describe("Distribution → idp serve", () => {
  test("replicates back with the same digests; the second pass copies nothing", async () => {
    const path = config(`sync:\n  - source: ${b.host}/mirror\n    target: ${a.host}/back\n    repositories: [apps/web]\nstate: state-back.json\n`);
    const first = await sync(path);
    expect(first.code).toBe(0);
    for (const tag of TAGS) expect(await digestAt(a.url, "back/apps/web", tag)).toBe(web[tag]!.digest);
    // Distribution kept the signature in the referrers tag; idp serve lists it as a referrer.
    const referrers = (await (await fetch(`${a.url}/v2/back/apps/web/referrers/${web["1.0.0"]!.digest}`)).json()) as { manifests: { digest: string }[] };
    expect(referrers.manifests.map((m) => m.digest)).toContain(signature.digest);
    const second = await sync(path);
    expect(second.report.repositories[0]!.copied).toBe(0);
  });

  test("within one registry, blobs are mounted rather than moved", async () => {
    const res = await sync(config(`sync:\n  - { source: ${a.host}/apps, target: ${a.host}/copies, repositories: [web], tags: { allow: ["^1\\\\.0\\\\.0$"] } }\n`));
    const repo = byTarget(res.report)[`${a.host}/copies/web`]!;
    expect(repo.copied).toBe(1);
    expect(repo.blobs.mounted).toBeGreaterThan(0);
    expect(repo.bytes).toBeLessThan(64 * 1024);
    expect(await digestAt(a.url, "copies/web", "1.0.0")).toBe(web["1.0.0"]!.digest);
  });
});
