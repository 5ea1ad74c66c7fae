/**
 * The client benchmark (issue 4, "Speed"): idp's client commands against skopeo, oras and
 * crane, on the same data, against `idp serve` and CNCF Distribution 2.8 started here, in
 * one run. Prints medians, the ratios idp/peer (above 1: idp is faster) and the issue's
 * targets, then idp's start-up time next to a compiled hello-world.
 *
 *   bun bench/client-speed.ts [--quick] [--rounds N] [--small N] [--only id,id]
 *                             [--registries idp,distribution] [--no-build] [--json FILE]
 *
 * Default: 2 rounds of the large workloads, 200 small artifacts (about 8 minutes on a busy
 * 2-CPU machine). --quick: 1 round and 50 small artifacts. Workloads: push-big, pull-big, push-small,
 * pull-small, push-layers, pull-layers, repush, startup. Every command gets a fresh, empty
 * HOME; everything (fixtures, pulls, registries) lives in one temp directory, removed at the
 * end, also on Ctrl-C. Other work on the machine lowers every number: the load average is
 * printed before and after.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { startDistribution } from "../test/helpers/distribution.ts";
import { IDP_BIN, REPO_ROOT, startIdp } from "../test/helpers/idp.ts";
import { peer } from "../test/helpers/peers.ts";
import { bunFloorClient, checkPulled, cleanEnv, clients, curlClient, type ClientId } from "./client-speed/clients.ts";
import { makeArtifact, seed, type Artifact } from "./client-speed/fixtures.ts";
import { MiB, loadAverage, median, run, startupMs, type Invocation } from "./client-speed/measure.ts";
import { record, repushTable, resultTable, startupTable, type Results } from "./client-speed/report.ts";
import { repush, type Repush } from "./client-speed/repush.ts";
import { WORKLOADS, type Ctx, type Registry } from "./client-speed/workloads.ts";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : (process.argv[i + 1] ?? "");
}

const quick = process.argv.includes("--quick");
const rounds = Number(flag("--rounds") ?? (quick ? 1 : 2));
const smallCount = Number(flag("--small") ?? (quick ? 50 : 200));
const only = flag("--only")?.split(",");
const registriesWanted = (flag("--registries") ?? "idp,distribution").split(",");
const wants = (id: string) => !only || only.includes(id);
const say = (text: string) => process.stderr.write(`${text}\n`);

const work = mkdtempSync(join(tmpdir(), "idp-client-bench-"));
// skopeo runs as nobody when we are root (see clients.ts): it must read fixtures and write pulls.
chmodSync(work, 0o755);
const stops: (() => Promise<void>)[] = [];
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const stop of stops.reverse()) await stop().catch((error: unknown) => say(`cleanup: ${String(error)}`));
  rmSync(work, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    say(`\n${signal}: stopping registries and removing ${work}`);
    void cleanup().finally(() => process.exit(130));
  });
}

let pulls = 0;
const outRoot = join(work, "out");
const homes = join(work, "homes");
const ctxBase = {
  async time(inv: Invocation) {
    const home = mkdtempSync(join(homes, "h-"));
    chmodSync(home, 0o777);
    try {
      return await run({ ...inv, env: { ...cleanEnv(home), ...inv.env } });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
  outDir: (label: string) => join(outRoot, `${label}-${pulls++}`),
  done: (path: string) => rmSync(path, { recursive: true, force: true }),
  checkPulled,
};

try {
  const loadBefore = loadAverage();
  if (!process.argv.includes("--no-build")) {
    say("building dist/idp");
    await run({ cmd: [process.execPath, "run", "build"], cwd: REPO_ROOT });
  }
  const all = clients();
  const curl = curlClient();
  const floorBinary = join(work, "bun-floor");
  await run({ cmd: [process.execPath, "build", "--compile", "--minify", "--bytecode", "--format", "esm", join(REPO_ROOT, "bench/client-speed/bun-floor.ts"), "--outfile", floorBinary] });
  const floor = bunFloorClient(floorBinary);
  const version = (await run({ cmd: [IDP_BIN, "--version"] })).stdout.trim();

  say("writing fixtures: 512 MiB, 50 × 1 MiB, small artifacts");
  mkdirSync(outRoot, { mode: 0o777 });
  chmodSync(outRoot, 0o777);
  mkdirSync(homes);
  const big = makeArtifact(join(work, "big"), join(work, "big-layout"), 1, 512 * MiB, () => "big.bin");
  const layers = makeArtifact(join(work, "layers"), join(work, "layers-layout"), 50, MiB, (i) => `layer-${String(i).padStart(2, "0")}.bin`);
  const small: Artifact[] = [];
  for (let i = 0; i < smallCount; i++) small.push(makeArtifact(join(work, "small", String(i)), join(work, "small-layout", String(i)), 1, 4096, () => "small.bin"));
  const ctx: Ctx = { big, layers, small, ...ctxBase };

  const registries: Registry[] = [];
  if (registriesWanted.includes("idp")) {
    // No access log, as Distribution runs (test/helpers/distribution.ts).
    writeFileSync(join(work, "idp.yaml"), "log:\n  access: false\n");
    const server = await startIdp({ root: join(work, "idp-root"), args: ["--config", join(work, "idp.yaml")] });
    stops.push(() => server.stop());
    registries.push({ name: `idp serve`, host: server.host, url: server.url, port: Number(server.host.split(":")[1]) });
  }
  if (registriesWanted.includes("distribution")) {
    const server = await startDistribution();
    stops.push(() => server.stop());
    registries.push({ name: "distribution 2.8", host: server.host, url: server.url, port: Number(server.host.split(":")[1]) });
  }
  for (const r of registries) {
    say(`seeding ${r.name} at ${r.host}`);
    await seed(r.url, "seed/big", "v1", big);
    await seed(r.url, "seed/layers", "v1", layers);
    for (const [i, a] of small.entries()) await seed(r.url, "seed/small", `s${i}`, a);
  }

  const results: Results = new Map();
  const workloads = WORKLOADS.filter((w) => wants(w.id));
  for (const w of workloads) {
    const times = w.id.endsWith("-small") ? 1 : rounds;
    for (let round = 0; round < times; round++) {
      // Alternate which registry goes first and rotate the clients, so no one always runs on
      // a warmer or cooler machine.
      const regs = round % 2 ? [...registries].reverse() : registries;
      for (const r of regs) {
        const these = [...all, ...(w.ceiling ? [curl] : []), ...(w.floor ? [floor] : [])];
        const order = these.map((_, i) => these[(i + round) % these.length]!);
        for (const c of order) {
          const value = await w.run(r, c, ctx, round);
          record(results, w.id, r.name, c.id, value);
          say(`${w.id} ${r.name} ${c.id} round ${round + 1}/${times}: ${value.toFixed(1)} ${w.unit}`);
        }
      }
    }
  }

  const repushes: { registry: string; client: ClientId; result: Repush }[] = [];
  if (wants("repush")) {
    const pushedRound = wants("push-big") ? rounds - 1 : 0;
    for (const r of registries) {
      for (const c of all) {
        if (!wants("push-big")) await ctx.time(c.push(r.host, `${c.id}/big-0:v1`, big));
        // Three times, median time: one run is too easily hit by whatever else the machine does.
        const runs: Repush[] = [];
        for (let i = 0; i < 3; i++) runs.push(await repush(r, c, ctx, `${c.id}/big-${pushedRound}:v1`));
        const result: Repush = {
          seconds: median(runs.map((x) => x.seconds)),
          wireBytes: Math.max(...runs.map((x) => x.wireBytes)),
          reportedBytes: runs[0]!.reportedBytes === undefined ? undefined : Math.max(...runs.map((x) => x.reportedBytes ?? 0)),
        };
        repushes.push({ registry: r.name, client: c.id, result });
        say(`repush ${r.name} ${c.id}: ${result.seconds.toFixed(2)} s, ${(result.wireBytes / 1024).toFixed(1)} KiB sent`);
      }
    }
  }

  const startup: { what: string; median: number; min: number }[] = [];
  if (wants("startup")) {
    say("start-up: compiling a hello-world with the same bun, timing --version");
    const hello = join(work, "hello");
    writeFileSync(`${hello}.ts`, 'console.log("hello");\n');
    await run({ cmd: [process.execPath, "build", "--compile", "--minify", `${hello}.ts`, "--outfile", hello] });
    const runs = quick ? 20 : 50;
    const commands: [string, string[]][] = [
      ["idp --version (dist/idp)", [IDP_BIN, "--version"]],
      ["hello-world (bun build --compile)", [hello]],
      ["oras version", [peer("oras"), "version"]],
      ["crane version", [peer("crane"), "version"]],
      ["skopeo --version", [peer("skopeo"), "--version"]],
    ];
    for (const [what, cmd] of commands) startup.push({ what, ...startupMs(cmd, runs) });
  }

  const out = (line = "") => process.stdout.write(`${line}\n`);
  out(`\n## idp client benchmark: ${version}, bun ${Bun.version}, ${cpus().length} CPUs, load ${loadBefore} → ${loadAverage()}`);
  out(`rounds ${rounds} (medians), ${smallCount} small artifacts; registries: ${registries.map((r) => r.name).join(", ")}`);
  out("ratios are idp's speed over the peer's (above 1: idp faster); oras is compared with idp push/pull (files),");
  out("skopeo and crane with idp copy (OCI layouts), the same job on the same input. curl is no peer: plain");
  out("requests, fewest possible, no checks; with the best peer it shows what the registry takes here.");
  out("bun-floor is no peer either: a compiled Bun program making the fewest requests for a small artifact,");
  out("no checks, no config, no cache: what the runtime (start-up, fetch) costs any Bun client per command.");
  out("Every command runs with a fresh HOME and IDP_HOME: idp pull's local cache starts empty each time.\n");
  for (const line of resultTable(workloads, results, [...all, curl, floor])) out(line);
  if (repushes.length) {
    out("\n### re-push of the unchanged 512 MiB artifact (same repository and tag, through a counting proxy; median of 3)\n");
    for (const line of repushTable(repushes)) out(line);
  }
  if (startup.length) {
    out("\n### start-up (target: idp --version under 50 ms)\n");
    for (const line of startupTable(startup)) out(line);
  }
  out("\n### commands");
  for (const c of [...all, curl, floor]) out(`- ${c.id}: push \`${c.usage.push}\`; pull \`${c.usage.pull}\``);
  const jsonFile = flag("--json");
  if (jsonFile) {
    const plain = Object.fromEntries([...results].map(([w, byReg]) => [w, Object.fromEntries([...byReg].map(([r, byC]) => [r, Object.fromEntries(byC)]))]));
    writeFileSync(jsonFile, JSON.stringify({ version, rounds, smallCount, results: plain, repushes, startup }, null, 2));
  }
} finally {
  await cleanup();
}
