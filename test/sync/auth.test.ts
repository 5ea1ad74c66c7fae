import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDistribution } from "../helpers/distribution.ts";
import { idpBinary, startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { randomContent } from "../helpers/oci.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { pushSmallImage } from "../bundle/fixtures.ts";
import { syncHarness } from "./setup.ts";

/**
 * Sync and bundles reach a registry that wants credentials (Distribution 2.8 with htpasswd)
 * with what the usual stores hold: `idp login`, or the environment. Refused credentials are
 * one line that never shows the secret.
 */
const work = tempDir("idp-sync-auth-");
const { env, idp, config, sync } = syncHarness(work.path);
const PASSWORD = "s3cret-Pa55word";
let a: RegistryUnderTest;
let b: RegistryUnderTest;

beforeAll(async () => {
  const line = (await run([peer("htpasswd"), "-nbB", "-C", "5", "alice", PASSWORD])).stdout.trim();
  const htpasswd = join(work.path, "htpasswd");
  writeFileSync(htpasswd, `${line}\n`);
  [a, b] = await Promise.all([startIdp(), startDistribution({ extraConfig: `auth:\n  htpasswd:\n    realm: test\n    path: ${htpasswd}\n` })]);
  await pushSmallImage(a.url, "team/app", "1.0.0", randomContent(1000));
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  work.remove();
});

test("without credentials the target refuses, in one line; after idp login it works", async () => {
  const path = config(`sync:\n  - { source: ${a.host}, target: ${b.host}, repositories: [team/app] }\n`);
  const anonymous = await sync(path);
  expect(anonymous.code).toBe(1);
  expect(anonymous.report.repositories[0]!.errors[0]).toMatch(/401 UNAUTHORIZED.*hint: .*idp login/);
  expect(anonymous.stderr).not.toMatch(/\n\s+at /);

  const login = await run([idpBinary(), "login", b.host, "-u", "alice", "--password-stdin"], { env, cwd: work.path, stdin: PASSWORD });
  expect(login.code).toBe(0);
  const res = await sync(path);
  expect(res.code).toBe(0);
  expect(res.report.repositories[0]!.copied).toBe(1);
  expect(`${res.stdout}${res.stderr}`).not.toContain(PASSWORD);

  // The bundle commands use the same stores.
  const file = join(work.path, "b.tar");
  await idp(["bundle", "create", `${b.host}/team/app:1.0.0`, "-o", file]);
  const imported = await idp(["bundle", "import", file, `${b.host}/again`]);
  expect(imported.stdout).toContain(`${b.host}/again/team/app:1.0.0@`);
});

test("credentials from the environment work too; refused ones are one line without the secret", async () => {
  const path = config(`sync:\n  - { source: ${a.host}, target: ${b.host}/env, repositories: [team/app] }\n`);
  const wrong = await run([idpBinary(), "sync", "--config", path, "--once"], {
    env: { ...env, IDP_HOME: join(work.path, "empty-home"), IDP_REGISTRY_HOST: b.host, IDP_REGISTRY_USERNAME: "alice", IDP_REGISTRY_PASSWORD: "wrong-Pa55" },
    allowFail: true,
  });
  expect(wrong.code).toBe(1);
  expect(`${wrong.stdout}${wrong.stderr}`).not.toContain("wrong-Pa55");
  expect(wrong.stderr).not.toMatch(/\n\s+at /);
  const right = await run([idpBinary(), "sync", "--config", path, "--once"], {
    env: { ...env, IDP_HOME: join(work.path, "empty-home"), IDP_REGISTRY_HOST: b.host, IDP_REGISTRY_USERNAME: "alice", IDP_REGISTRY_PASSWORD: PASSWORD },
  });
  expect(right.code).toBe(0);
});
