import type { Blob_ } from "./client.ts";
import type { BigFile } from "./fixtures.ts";
import type { BenchServer } from "./servers.ts";

/** What every workload may use. */
export interface BenchContext {
  /** Scratch directory on the disk both registries store on. */
  work: string;
  /** The 512 MiB file (curl and skopeo push it). */
  big: BigFile;
  /** An OCI layout whose one layer is `big` (skopeo's source). */
  layout: string;
  /** The 1 MiB blob wrk fetches. */
  small: Blob_;
  /** wrk duration per run, seconds. */
  wrkSeconds: number;
}

/**
 * One measured workload: run once per server per round, higher is better. `target` is the
 * idp/Distribution ratio the issue asks for.
 */
export interface Workload {
  id: string;
  title: string;
  unit: string;
  target: number;
  run(server: BenchServer, ctx: BenchContext, round: number): Promise<number>;
}
