/**
 * `npm run bench`: idp serve against CNCF Distribution 2.8 on this machine, in one run, with
 * the same clients (curl, skopeo, fetch, wrk), printing each workload's medians and ratio.
 *
 *   bun bench/run.ts [--quick] [--rounds N] [--only id,id] [--logs] [--no-extras] [--json FILE]
 *
 * --quick: one round, short wrk runs. --logs: both registries log every request (off by
 * default for both). Rounds alternate which registry goes first, so neither always runs on a
 * warmer or cooler machine; medians are reported. The load average is printed: other work on
 * the machine lowers every number.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDP_BIN } from "../test/helpers/idp.ts";
import { blobOf } from "./client.ts";
import { cpuPerGet, diskRate, streamOneGiB } from "./extras.ts";
import { writeLayout, writeRandomFile } from "./fixtures.ts";
import { MiB, loadAverage, median, sh } from "./measure.ts";
import { reportLines, type Extras, type Row } from "./report.ts";
import { startDistributionServer, startIdpServer, type BenchServer } from "./servers.ts";
import type { BenchContext, Workload } from "./workload.ts";
import { API_WORKLOADS } from "./workloads-api.ts";
import { BIG_WORKLOADS } from "./workloads-big.ts";

const WORKLOADS: Workload[] = [...BIG_WORKLOADS, ...API_WORKLOADS];

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : (process.argv[i + 1] ?? "");
}

const quick = process.argv.includes("--quick");
const rounds = Number(flag("--rounds") ?? (quick ? 1 : 3));
const only = flag("--only")?.split(",");
const logs = process.argv.includes("--logs");
const extrasOn = !process.argv.includes("--no-extras");
const selected = only ? WORKLOADS.filter((w) => only.includes(w.id)) : WORKLOADS;
if (selected.length === 0) throw new Error(`--only names none of: ${WORKLOADS.map((w) => w.id).join(", ")}`);

const say = (text: string) => process.stderr.write(`${text}\n`);

say("bench: building dist/idp");
try {
  await sh([process.execPath, "run", "build"], { cwd: join(import.meta.dir, "..") });
} catch (error) {
  // The tree may be mid-edit; a binary built earlier still measures the registry.
  if (!existsSync(IDP_BIN)) throw error;
  say(`bench: the build failed, so measuring the dist/idp built ${statSync(IDP_BIN).mtime.toISOString()}: ${(error as Error).message.split("\n")[0]}`);
}
const work = mkdtempSync(join(flag("--dir") ?? tmpdir(), "idp-bench-"));
const servers: BenchServer[] = [];
try {
  say(`bench: scratch ${work}; load average ${loadAverage()}; ${navigator.hardwareConcurrency} CPUs`);
  say("bench: measuring the disk (dd conv=fsync)");
  const diskMBps = await diskRate(work);
  say("bench: writing the 512 MiB fixture");
  const big = writeRandomFile(join(work, "big.bin"), 512 * MiB);
  const ctx: BenchContext = {
    work,
    big,
    layout: writeLayout(join(work, "layout"), big),
    small: blobOf(crypto.getRandomValues(new Uint8Array(MiB))),
    wrkSeconds: quick ? 3 : 10,
  };
  servers.push(await startIdpServer(work, logs), await startDistributionServer(work, logs));

  const rows: Row[] = [];
  for (const workload of selected) {
    const results: Record<string, number[]> = { idp: [], distribution: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) results[server.name]!.push(await workload.run(server, ctx, round));
    }
    const row: Row = { workload, idp: median(results.idp!), distribution: median(results.distribution!), rounds: [results.idp!, results.distribution!] };
    rows.push(row);
    say(`bench: ${workload.title}: idp ${row.idp.toFixed(1)}, distribution ${row.distribution.toFixed(1)} ${workload.unit} (${(row.idp / row.distribution).toFixed(2)}x)`);
  }

  const extras: Extras = { diskMBps, idpPushMBps: rows.find((r) => r.workload.id === "push-512-curl")?.idp, stream: undefined, cpuPerGet: undefined };
  if (extrasOn) {
    say("bench: streaming 1 GiB in and out of each, sampling server memory");
    extras.stream = {};
    for (const server of servers) extras.stream[server.name] = await streamOneGiB(server);
    extras.cpuPerGet = {};
    for (const server of servers) extras.cpuPerGet[server.name] = await cpuPerGet(server, ctx);
  }
  const lines = reportLines(rows, extras);
  console.log(`\nidp serve vs CNCF Distribution 2.8 (${rounds} round${rounds === 1 ? "" : "s"}, medians; load average now ${loadAverage()})\n`);
  for (const line of lines) console.log(line);
  const jsonFile = flag("--json");
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ rows: rows.map((r) => ({ id: r.workload.id, unit: r.workload.unit, idp: r.idp, distribution: r.distribution, rounds: r.rounds })), extras }, null, 2));
} finally {
  for (const server of servers) await server.stop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
