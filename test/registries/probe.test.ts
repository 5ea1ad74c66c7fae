import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startDistribution } from "../helpers/distribution.ts";
import { idpBinary, startIdp, type RegistryUnderTest } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { startTokenDistribution, ALICE } from "../remote/helpers/registries.ts";
import { testHome, type TestHome } from "./setup.ts";

/**
 * `idp registry test` against real registries: idp serve (referrers API, everything), CNCF
 * Distribution 2.8 (no referrers API), and Distribution behind a token service with the
 * credentials referenced from the environment. Each probe must clean up what it pushed.
 */
const registries: Record<string, RegistryUnderTest> = {};
let home: TestHome;
beforeAll(async () => {
  [registries.idp, registries.distribution, registries.token] = await Promise.all([startIdp(), startDistribution(), startTokenDistribution()]);
  home = testHome({ ALICE_PW: ALICE.password });
  home.writeConfig(
    [
      "registries:",
      `  idp:\n    url: http://${registries.idp!.host}\n    namespace: team`,
      `  dist:\n    url: http://${registries.distribution!.host}`,
      `  token:\n    url: http://${registries.token!.host}\n    credentials:\n      username: ${ALICE.username}\n      passwordEnv: ALICE_PW`,
    ].join("\n"),
  );
});
afterAll(async () => {
  await Promise.all(Object.values(registries).map((r) => r.stop()));
  home?.remove();
});

interface Report {
  apiVersion?: string;
  auth: { scheme: string; realm?: string };
  credentials: { result: string; source?: string };
  checks: { name: string; result: string; detail: string }[];
  leftBehind: string[];
}

async function probe(name: string, ...extra: string[]): Promise<Report> {
  const out = await run([idpBinary(), "registry", "test", name, "--json", ...extra], { env: home.env });
  return JSON.parse(out.stdout) as Report;
}

const results = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.name, c.result]));

describe("registry test on real registries", () => {
  test("idp serve supports everything, including the referrers API", async () => {
    const report = await probe("idp");
    expect(report.apiVersion).toBe("registry/2.0");
    expect(report.auth.scheme).toBe("none");
    expect(results(report)).toEqual({ catalog: "yes", chunkedUpload: "yes", mount: "yes", delete: "yes", tagList: "yes", referrers: "yes" });
    expect(report.leftBehind).toEqual([]);
  });

  test("Distribution 2.8: no referrers API (idp uses the tag schema), the rest yes, and the probe blob is deleted", async () => {
    const report = await probe("dist");
    expect(results(report)).toMatchObject({ catalog: "yes", chunkedUpload: "yes", mount: "yes", delete: "yes", referrers: "no" });
    expect(report.checks.find((c) => c.name === "referrers")!.detail).toMatch(/tag schema/);
    expect(report.leftBehind).toEqual([]);
    const scratch = await fetch(`${registries.distribution!.url}/v2/idp-registry-probe/tags/list`);
    expect(scratch.status).toBe(404);
  });

  test("behind a token service: the Bearer challenge, credentials from the named variable accepted, never printed", async () => {
    const out = await run([idpBinary(), "registry", "test", "token"], { env: home.env });
    expect(out.stdout + out.stderr).not.toContain(ALICE.password);
    expect(out.stdout).toMatch(/auth:\s+bearer realm=http:\/\/127\.0\.0\.1:\d+\/token/);
    const report = await probe("token");
    expect(report.auth.scheme).toBe("bearer");
    expect(report.credentials).toMatchObject({ result: "accepted", source: "environment variable ALICE_PW" });
    expect(results(report)).toMatchObject({ chunkedUpload: "yes", delete: "yes" });
  });

  test("--read-only pushes nothing; wrong credentials are reported as refused", async () => {
    const report = await probe("dist", "--read-only");
    expect(results(report)).toMatchObject({ chunkedUpload: "skipped", mount: "skipped", delete: "skipped" });
    const refused = await run([idpBinary(), "registry", "test", "token", "--json", "--read-only"], { env: { ...home.env, ALICE_PW: "not-her-password" }, allowFail: true });
    expect(refused.stdout + refused.stderr).not.toContain("not-her-password");
    expect(refused.code === 0 ? (JSON.parse(refused.stdout) as Report).credentials.result : "error").toMatch(/refused|error/);
  });
});
