import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PassReport } from "../../src/sync/report.ts";
import { idpRunner } from "../bundle/fixtures.ts";

/** Helpers shared by the sync tests: a private home, config files, reports from --json. */

export function syncHarness(dir: string) {
  const env = { ...process.env, IDP_HOME: join(dir, "home"), DOCKER_CONFIG: join(dir, "docker"), NO_COLOR: "1" };
  const idp = idpRunner(env, dir);
  let n = 0;
  /** Writes a config file (YAML text) and returns its path. */
  const config = (text: string) => {
    const path = join(dir, `sync-${++n}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  /** Runs `idp sync --json` once; returns the exit code and the pass reports. */
  const sync = async (path: string, extra: string[] = []) => {
    const res = await idp(["sync", "--config", path, "--once", "--json", ...extra], true);
    const reports = res.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as PassReport);
    return { ...res, reports, report: reports[reports.length - 1]! };
  };
  return { env, idp, config, sync };
}

/** A report's repositories by target, for assertions. */
export function byTarget(report: PassReport) {
  return Object.fromEntries(report.repositories.map((r) => [r.target, r]));
}
