import { expect, test } from "bun:test";
import { join } from "node:path";
import { idpBinary, REPO_ROOT } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";

/** The examples/ walkthrough, run as a user would, with the compiled binary. */
test("examples/walkthrough.sh builds, pushes, locks and pulls the example packages", async () => {
  const res = await run(["bash", join(REPO_ROOT, "examples/walkthrough.sh"), idpBinary()], { env: { ...process.env, NO_COLOR: "1" }, timeoutMs: 120_000 });
  expect(res.stdout).toContain("walkthrough: ok");
  expect(res.stdout).toMatch(/app-catalog@0\.3\.0\n├── ingress@1\.2\.0/);
  expect(res.stdout).toContain("vendor/ingress/ingress-nginx.yaml");
  expect(res.stdout).toContain("vendor/platform-base/project.yaml");
}, 120_000);
