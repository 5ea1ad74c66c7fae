import type { Driver } from "../storage/driver.ts";
import { BLOBS, REPOSITORIES, UPLOADS } from "../storage/paths.ts";
import { PromRegistry } from "./prometheus.ts";

/** Storage figures are recomputed at most this often: walking a large store costs I/O. */
const STORAGE_REFRESH_MS = 60_000;
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the storage holds, counted by walking it. */
export interface StorageFigures {
  bytes: number;
  blobs: number;
  repositories: number;
  uploads: number;
}

/**
 * The registry's Prometheus metrics: requests by route, method and status, their duration,
 * bytes in and out, requests in flight, sign-ins, tokens, gc runs, and storage figures
 * (walked lazily, at most once a minute, when scraped).
 *
 * @example
 * const metrics = new RegistryMetrics(driver);
 * metrics.request("blob", "GET", 200, 0.004, 0, 1048576);
 * await metrics.render();
 */
export class RegistryMetrics {
  readonly registry = new PromRegistry();
  readonly requests = this.registry.counter("idp_registry_requests_total", "HTTP requests answered, by route, method and status.", ["route", "method", "status"]);
  readonly duration = this.registry.histogram(
    "idp_registry_request_duration_seconds",
    "Time to the response headers, by route.",
    DURATION_BUCKETS,
    ["route"],
  );
  readonly bytesIn = this.registry.counter("idp_registry_received_bytes_total", "Request body bytes received (uploads and manifests).");
  readonly bytesOut = this.registry.counter("idp_registry_sent_bytes_total", "Response body bytes sent, by route.", ["route"]);
  readonly inFlight = this.registry.gauge("idp_registry_requests_in_flight", "Requests being handled now.");
  readonly signIns = this.registry.counter("idp_registry_sign_ins_total", "Credential checks, by result (ok, failed, rate_limited).", ["result"]);
  readonly tokens = this.registry.counter("idp_registry_tokens_issued_total", "Bearer tokens issued by /auth/token.");
  readonly gcRuns = this.registry.counter("idp_registry_gc_runs_total", "Garbage collection runs, by result.", ["result"]);
  readonly gcFreed = this.registry.counter("idp_registry_gc_freed_bytes_total", "Bytes garbage collection freed.");
  readonly gcLast = this.registry.gauge("idp_registry_gc_last_run_timestamp_seconds", "When garbage collection last finished.");
  readonly uploadsPurged = this.registry.counter("idp_registry_uploads_purged_total", "Abandoned upload sessions removed.");
  readonly storageBytes = this.registry.gauge("idp_registry_storage_bytes", "Bytes in the content store (every blob and manifest once).");
  readonly storageBlobs = this.registry.gauge("idp_registry_storage_blobs", "Files in the content store.");
  readonly repositories = this.registry.gauge("idp_registry_repositories", "Repositories.");
  readonly uploadSessions = this.registry.gauge("idp_registry_upload_sessions", "Upload sessions open on disk.");
  readonly resident = this.registry.gauge("process_resident_memory_bytes", "Resident memory of the server process.");
  readonly started = this.registry.gauge("process_start_time_seconds", "When the server process started, seconds since the epoch.");
  #driver: Driver | undefined;
  #figures: StorageFigures | undefined;
  #walkedAt = 0;
  #walking: Promise<StorageFigures> | undefined;

  constructor(driver?: Driver) {
    this.#driver = driver;
    this.started.set([], Math.floor(Date.now() / 1000 - process.uptime()));
  }

  /** Counts one answered request. */
  request(route: string, method: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void {
    this.requests.inc([route, method, String(status)]);
    this.duration.observe([route], seconds);
    if (bytesIn > 0) this.bytesIn.inc([], bytesIn);
    if (bytesOut > 0) this.bytesOut.inc([route], bytesOut);
  }

  /** The exposition text, with storage figures refreshed when they are over a minute old. */
  async render(): Promise<string> {
    const figures = await this.storage();
    if (figures) {
      this.storageBytes.set([], figures.bytes);
      this.storageBlobs.set([], figures.blobs);
      this.repositories.set([], figures.repositories);
      this.uploadSessions.set([], figures.uploads);
    }
    this.resident.set([], process.memoryUsage.rss());
    return this.registry.render();
  }

  /** Storage figures no older than a minute (undefined without a driver). */
  async storage(): Promise<StorageFigures | undefined> {
    if (!this.#driver) return undefined;
    if (this.#figures && Date.now() - this.#walkedAt < STORAGE_REFRESH_MS) return this.#figures;
    this.#walking ??= walk(this.#driver).finally(() => (this.#walking = undefined));
    this.#figures = await this.#walking;
    this.#walkedAt = Date.now();
    return this.#figures;
  }
}

async function walk(driver: Driver): Promise<StorageFigures> {
  let bytes = 0;
  let blobs = 0;
  for (const algorithm of await driver.list(BLOBS)) {
    for (const name of await driver.list(`${BLOBS}/${algorithm}`)) {
      const stat = await driver.stat(`${BLOBS}/${algorithm}/${name}`);
      if (!stat) continue;
      bytes += stat.size;
      blobs++;
    }
  }
  const repositories = (await driver.list(REPOSITORIES)).length;
  const uploads = (await driver.list(UPLOADS)).length;
  return { bytes, blobs, repositories, uploads };
}
