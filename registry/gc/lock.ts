import * as v from "valibot";
import { IdpError } from "../../src/errors/index.ts";
import type { Driver } from "../storage/driver.ts";
import { processAlive } from "../../src/util/process.ts";

/**
 * Who is working on a storage root, as small files under `<root>/run/`:
 *
 *   run/serve.json   the server using this root: {pid, socket}. Written at start, removed at
 *                    stop. A second server on the same root is refused (two processes
 *                    rewriting one index.json would lose updates), and `idp registry gc`
 *                    hands its work to the server through `socket` instead of touching the
 *                    files itself, so gc shares the server's per-repository locks.
 *   run/gc.lock      held while gc runs: {pid, started}. One gc at a time; a server does not
 *                    start on a root an out-of-process gc is working on.
 *
 * A file naming a process that no longer runs is stale and is replaced.
 */
export const SERVE_FILE = "run/serve.json";
export const GC_LOCK = "run/gc.lock";

const ServeSchema = v.object({ pid: v.number(), socket: v.nullable(v.string()) });
const LockSchema = v.object({ pid: v.number(), started: v.string() });

export type ServerClaim = v.InferOutput<typeof ServeSchema>;

/**
 * The live server using this root, if any (other than this process).
 *
 * @example const server = await liveServer(driver); if (server?.socket) delegate(server.socket);
 */
export async function liveServer(driver: Driver): Promise<ServerClaim | undefined> {
  const claim = await readJson(driver, SERVE_FILE, ServeSchema);
  return claim && claim.pid !== process.pid && processAlive(claim.pid) ? claim : undefined;
}

/**
 * Claims the root for a server: refuses when another live server or an out-of-process gc has
 * it. Returns the release function.
 *
 * @example const release = await claimRoot(driver, socketPath); … await release();
 */
export async function claimRoot(driver: Driver, socket: string | null): Promise<() => Promise<void>> {
  const other = await liveServer(driver);
  if (other) {
    throw new IdpError(`another idp serve (pid ${other.pid}) is using storage root ${driver.location}`, {
      hint: `stop it first, or give this server its own --root (if no idp runs as pid ${other.pid}, remove ${driver.location}/${SERVE_FILE})`,
    });
  }
  // Claim first, then look for a gc: a gc takes its lock first, then looks for a server, so
  // one of the two always sees the other.
  await driver.put(SERVE_FILE, JSON.stringify({ pid: process.pid, socket }));
  const gc = await readJson(driver, GC_LOCK, LockSchema);
  if (gc && gc.pid !== process.pid && processAlive(gc.pid)) {
    await driver.remove(SERVE_FILE);
    throw new IdpError(`idp registry gc (pid ${gc.pid}) is working on storage root ${driver.location}`, {
      hint: "start the server when it has finished; gc hands its work to a running server instead",
    });
  }
  return async () => {
    const claim = await readJson(driver, SERVE_FILE, ServeSchema);
    if (claim?.pid === process.pid) await driver.remove(SERVE_FILE);
  };
}

/**
 * Thrown when gc is already running on a root.
 *
 * @example if (error instanceof GcBusyError) return c.json({ error: error.message }, 409);
 */
export class GcBusyError extends IdpError {
  override name = "GcBusyError";
}

/**
 * Takes the gc lock or throws GcBusyError naming the process that holds it.
 *
 * @example const release = await acquireGcLock(driver); try { … } finally { await release(); }
 */
export async function acquireGcLock(driver: Driver): Promise<() => Promise<void>> {
  const body = JSON.stringify({ pid: process.pid, started: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await driver.create(GC_LOCK, body)) return async () => void (await driver.remove(GC_LOCK));
    const holder = await readJson(driver, GC_LOCK, LockSchema);
    if (holder && processAlive(holder.pid)) {
      throw new GcBusyError(`gc is already running on ${driver.location} (pid ${holder.pid}, since ${holder.started})`);
    }
    await driver.remove(GC_LOCK);
  }
  throw new GcBusyError(`could not take the gc lock on ${driver.location}`);
}

async function readJson<T extends v.GenericSchema>(driver: Driver, path: string, schema: T): Promise<v.InferOutput<T> | undefined> {
  const bytes = await driver.read(path);
  if (!bytes) return undefined;
  try {
    const parsed = v.safeParse(schema, JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

