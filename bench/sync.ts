/**
 * `bun bench/sync.ts`: idp sync and idp bundle against skopeo on the same data, in one run,
 * printing each side's numbers and the ratios.
 *
 *   bun bench/sync.ts [--tags 1000] [--set-mib 1024] [--rss-mib 2048] [--only sync,bundle,rss] [--dir DIR]
 *
 * - sync: a repository of --tags small images (two shared layers, one config each) on idp
 *   serve, replicated to CNCF Distribution 2.8 by `idp sync` and by `skopeo sync`, each into a
 *   fresh Distribution: a first pass, then a no-op pass. Requests are counted from the
 *   registries' access logs, the same way for both tools. idp's no-op pass is measured with its
 *   state file (the default way to run it) and without.
 * - bundle: --set-mib of 256 MiB single-layer images; `idp bundle create` of all of them
 *   against `skopeo copy docker://… oci-archive:…` (one archive per image: skopeo writes one
 *   image per archive), then `idp bundle import` against `skopeo copy oci-archive:… docker://…`.
 * - rss: `idp bundle create` and `import` of --rss-mib, sampling the binary's VmRSS.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDP_BIN } from "../test/helpers/idp.ts";
import { peer } from "../test/helpers/peers.ts";
import { MiB, loadAverage, rssMiB, sh } from "./measure.ts";
import { pushBigImages, pushManyTags } from "./sync/fixtures.ts";
import { startCountedDistribution, startCountedIdp, type CountedServer } from "./sync/servers.ts";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}
const tags = Number(flag("--tags") ?? 1000);
const setMiB = Number(flag("--set-mib") ?? 1024);
const rssSize = Number(flag("--rss-mib") ?? 2048);
const only = (flag("--only") ?? "sync,bundle,rss").split(",");
const say = (text: string) => process.stderr.write(`${text}\n`);
const skopeo = peer("skopeo");
const servers: CountedServer[] = [];

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** Seconds and requests (per server) of `work`. */
async function measured(on: CountedServer[], work: () => Promise<unknown>): Promise<{ seconds: number; requests: number }> {
  const before = await Promise.all(on.map((s) => s.requests()));
  const seconds = await timed(work);
  const after = await Promise.all(on.map((s) => s.requests()));
  return { seconds, requests: after.reduce((n, a, i) => n + a - before[i]!, 0) };
}

const row = (label: string, idp: number, other: number, unit: string, better: "lower" | "higher") => {
  const ratio = better === "lower" ? other / idp : idp / other;
  return `${label.padEnd(44)} idp ${idp.toFixed(2).padStart(9)} ${unit.padEnd(6)} skopeo ${other.toFixed(2).padStart(9)} ${unit.padEnd(6)} idp is ${ratio.toFixed(2)}x ${ratio >= 1 ? "better" : "worse"}`;
};

say("bench: building dist/idp");
await sh([process.execPath, "run", "build"], { cwd: join(import.meta.dir, "..") });
const work = mkdtempSync(join(flag("--dir") ?? tmpdir(), "idp-bench-sync-"));
const lines: string[] = [];
try {
  say(`bench: scratch ${work}; load average ${loadAverage()}; ${navigator.hardwareConcurrency} CPUs`);
  const source = await startCountedIdp(join(work, "source"));
  servers.push(source);

  if (only.includes("sync")) {
    say(`bench: pushing ${tags} tags to idp serve`);
    await pushManyTags(source.url, "bench/app", tags);
    const toIdp = await startCountedDistribution(join(work, "target-idp"));
    const toSkopeo = await startCountedDistribution(join(work, "target-skopeo"));
    servers.push(toIdp, toSkopeo);
    const rule = `sync:\n  - { source: ${source.host}/bench, target: ${toIdp.host}/mirror, repositories: [app] }\n`;
    const withState = join(work, "sync.yaml");
    const stateless = join(work, "sync-stateless.yaml");
    writeFileSync(withState, `${rule}state: ${join(work, "state.json")}\n`);
    writeFileSync(stateless, rule);
    const idpSync = (config: string) => sh([IDP_BIN, "sync", "--config", config, "--once", "-q"]);
    const skopeoSync = () =>
      sh([skopeo, "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false", "--dest-tls-verify=false", "--preserve-digests", `${source.host}/bench/app`, `${toSkopeo.host}/mirror`]);
    say("bench: sync, first pass");
    const idpFirst = await measured([source, toIdp], () => idpSync(withState));
    const skopeoFirst = await measured([source, toSkopeo], skopeoSync);
    say("bench: sync, no-op pass");
    const idpNoop = await measured([source, toIdp], () => idpSync(withState));
    const idpNoopStateless = await measured([source, toIdp], () => idpSync(stateless));
    const skopeoNoop = await measured([source, toSkopeo], skopeoSync);
    const listed = (await sh([IDP_BIN, "tags", `${toIdp.host}/mirror/app`])).stdout.trim().split("\n").length;
    if (listed !== tags) throw new Error(`idp sync left ${listed} tags, not ${tags}`);
    lines.push(
      `sync of ${tags} tags (shared layers), idp serve → Distribution 2.8:`,
      row("  first pass (seconds)", idpFirst.seconds, skopeoFirst.seconds, "s", "lower"),
      row("  no-op pass (seconds)", idpNoop.seconds, skopeoNoop.seconds, "s", "lower"),
      row("  no-op pass without the state file (seconds)", idpNoopStateless.seconds, skopeoNoop.seconds, "s", "lower"),
      row("  first pass requests per tag", idpFirst.requests / tags, skopeoFirst.requests / tags, "req", "lower"),
      row("  no-op pass requests per tag", idpNoop.requests / tags, skopeoNoop.requests / tags, "req", "lower"),
      row("  no-op requests per tag, no state file", idpNoopStateless.requests / tags, skopeoNoop.requests / tags, "req", "lower"),
    );
  }

  let set: string[] = [];
  const bundleTarget = only.includes("bundle") || only.includes("rss") ? await startCountedDistribution(join(work, "target-bundle")) : undefined;
  if (bundleTarget) servers.push(bundleTarget);
  if (only.includes("bundle") && bundleTarget) {
    say(`bench: pushing ${setMiB} MiB of 256 MiB images`);
    set = await pushBigImages(work, source.host, Math.max(1, Math.round(setMiB / 256)), 256 * MiB);
    const total = set.length * 256;
    const file = join(work, "set.tar");
    say("bench: bundle create");
    const idpCreate = await timed(() => sh([IDP_BIN, "bundle", "create", ...set, "-o", file, "-q"]));
    const archives = set.map((_, i) => join(work, `skopeo-${i}.tar`));
    const skopeoCreate = await timed(async () => {
      for (const [i, ref] of set.entries()) await sh([skopeo, "copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `oci-archive:${archives[i]}:img`]);
    });
    say("bench: bundle import");
    const idpImportExists = await timed(() => sh([IDP_BIN, "bundle", "import", file, `${bundleTarget.host}/idp-exists`, "--verify", "exists", "-q"]));
    const idpImport = await timed(() => sh([IDP_BIN, "bundle", "import", file, `${bundleTarget.host}/idp-content`, "-q"]));
    const skopeoImport = await timed(async () => {
      for (const [i, archive] of archives.entries()) await sh([skopeo, "copy", "--quiet", "--dest-tls-verify=false", `oci-archive:${archive}`, `docker://${bundleTarget.host}/skopeo/img:${i}`]);
    });
    lines.push(
      `bundle of ${total} MiB (${set.length} images of 256 MiB), tar ${(statSync(file).size / MiB).toFixed(0)} MiB:`,
      row("  create, MiB/s", total / idpCreate, total / skopeoCreate, "MiB/s", "higher"),
      row("  import, --verify exists, MiB/s", total / idpImportExists, total / skopeoImport, "MiB/s", "higher"),
      row("  import, reading every blob back, MiB/s", total / idpImport, total / skopeoImport, "MiB/s", "higher"),
    );
    for (const archive of archives) rmSync(archive, { force: true });
    rmSync(file, { force: true });
  }

  if (only.includes("rss") && bundleTarget) {
    const need = Math.max(1, Math.round(rssSize / 256));
    if (set.length < need) set = [...set, ...(await pushBigImages(work, source.host, need - set.length, 256 * MiB, set.length + 1))];
    const refs = set.slice(0, need);
    const file = join(work, "rss.tar");
    say(`bench: RSS while creating and importing a ${need * 256} MiB bundle`);
    const sample = async (args: string[]) => {
      const proc = Bun.spawn([IDP_BIN, ...args], { stdout: "ignore", stderr: "ignore" });
      let peak = 0;
      while (proc.exitCode === null) {
        // The process may end between the check and the read.
        peak = Math.max(peak, (() => { try { return rssMiB(proc.pid); } catch { return 0; } })());
        await Bun.sleep(20);
      }
      if ((await proc.exited) !== 0) throw new Error(`idp ${args.join(" ")} failed`);
      return peak;
    };
    const create = await sample(["bundle", "create", ...refs, "-o", file]);
    const imported = await sample(["bundle", "import", file, `${bundleTarget.host}/rss`]);
    lines.push(`bundle of ${need * 256} MiB: peak RSS of the idp binary: create ${create.toFixed(0)} MiB, import (with read-back verification) ${imported.toFixed(0)} MiB`);
  }
  process.stdout.write(`\n${lines.join("\n")}\n`);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(work, { recursive: true, force: true });
}
