import { chmod, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { Hono } from "hono";
import * as v from "valibot";
import { IdpError } from "../../src/errors/index.ts";
import type { ServeConfig } from "../config.ts";
import { FsDriver } from "../storage/fs.ts";
import { RegistryStore } from "../storage/store.ts";
import { GcBusyError, acquireGcLock, liveServer } from "./lock.ts";
import type { Maintenance } from "./maintenance.ts";
import type { GcReport } from "./report.ts";
import { collect, gcOptionsOf } from "./run.ts";

/** Unix socket paths are limited to ~108 bytes; beyond this the socket is not offered. */
const MAX_SOCKET_PATH = 100;
const HEARTBEAT_MS = 3000;

/** What `idp registry gc` may ask of a running server. */
const GcRequestSchema = v.strictObject({
  dryRun: v.optional(v.boolean()),
  deleteUntagged: v.optional(v.boolean()),
  graceMs: v.optional(v.pipe(v.number(), v.minValue(0))),
  uploadsMaxAgeMs: v.optional(v.pipe(v.number(), v.minValue(0))),
});
export type GcRequest = v.InferOutput<typeof GcRequestSchema>;

/**
 * Where a root's control socket lives, or null when the path is too long for a socket.
 *
 * @example controlSocketPath("/var/lib/idp") // "/var/lib/idp/run/control.sock"
 */
export function controlSocketPath(root: string): string | null {
  const path = join(root, "run", "control.sock");
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH ? path : null;
}

/**
 * The server's control socket: a Unix socket under the storage root (mode 0600, so only who
 * may write the root may use it) answering `POST /gc` with a gc report. It acts only on this
 * server's own root, so there is no other object whose ownership to check (d-11).
 *
 * @example const control = await openControlSocket(path, maintenance); … await control.close();
 */
export async function openControlSocket(path: string, maintenance: Maintenance): Promise<{ close(): Promise<void> }> {
  const app = new Hono();
  app.post("/gc", async (c) => {
    const parsed = v.safeParse(GcRequestSchema, await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: "expected a JSON object of gc options" }, 400);
    if (maintenance.busy) return c.json({ error: "gc is already running in this server" }, 409);
    // A long gc sends a space every few seconds, so no idle timeout ends the wait (JSON
    // allows leading white space); the report, or {error}, follows.
    const work = maintenance.gc(parsed.output).then(
      (report) => JSON.stringify(report),
      (error: Error) => JSON.stringify({ error: error instanceof GcBusyError ? error.message : `gc failed: ${error.message}` }),
    );
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const beat = setInterval(() => controller.enqueue(encoder.encode(" ")), HEARTBEAT_MS);
        try {
          controller.enqueue(encoder.encode(await work));
        } finally {
          clearInterval(beat);
          controller.close();
        }
      },
    });
    return new Response(body, { headers: { "Content-Type": "application/json" } });
  });
  app.onError((error, c) => c.json({ error: `gc failed: ${(error as Error).message}` }, 500));
  if (await stat(path).catch(() => undefined)) await unlink(path);
  const server = Bun.serve({ unix: path, fetch: app.fetch });
  await chmod(path, 0o600);
  return {
    async close() {
      await server.stop(true);
      await unlink(path).catch(() => {});
    },
  };
}

/**
 * `idp registry gc`: collects a storage root. When a server is using the root, the work is
 * handed to it through its control socket, so gc runs under the server's per-repository
 * locks while it keeps serving; otherwise it runs here, holding the root's gc lock (a server
 * does not start meanwhile). The lock is taken before looking for a server, and a server
 * claims the root before looking for the lock, so the two never both miss each other.
 *
 * @example const { report, where } = await collectGarbage(config, { dryRun: true });
 */
export async function collectGarbage(config: ServeConfig & { root: string }, request: GcRequest): Promise<{ report: GcReport; where: string }> {
  if (config.storage === "memory") {
    throw new IdpError("memory storage keeps nothing on disk to collect", { hint: "a memory registry collects itself when gc.interval is set" });
  }
  const root = config.root;
  if (!(await stat(join(root, "repositories")).catch(() => undefined)) && !(await stat(join(root, "blobs")).catch(() => undefined))) {
    throw new IdpError(`no registry storage at ${root}`, { hint: "pass --root DIR (the --root of idp serve)" });
  }
  const driver = new FsDriver(root);
  const release = await acquireGcLock(driver);
  let server;
  try {
    server = await liveServer(driver);
    if (!server) {
      const options = gcOptionsOf(config.gc, request);
      return { report: await collect(new RegistryStore({ driver }), options), where: "here" };
    }
  } finally {
    await release();
  }
  if (!server.socket) {
    throw new IdpError(`idp serve (pid ${server.pid}) is using ${root}, but its control socket path is too long to offer`, {
      hint: "let the server collect (gc.interval), or stop it and run gc again",
    });
  }
  const res = await fetch("http://idp/gc", {
    unix: server.socket,
    method: "POST",
    body: JSON.stringify(request),
    headers: { "Content-Type": "application/json" },
  }).catch((error: Error) => {
    throw new IdpError(`idp serve (pid ${server.pid}) did not answer on ${server.socket}: ${error.message}`);
  });
  const body = (await res.json()) as GcReport & { error?: string };
  if (res.status === 409) throw new GcBusyError(body.error ?? "gc is already running");
  if (!res.ok || body.error !== undefined) throw new IdpError(body.error ?? `the server answered ${res.status}`);
  return { report: body, where: `idp serve (pid ${server.pid})` };
}
