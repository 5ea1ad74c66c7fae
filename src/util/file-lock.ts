import { closeSync, constants, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { InvalidInputError } from "../errors/index.ts";
import { processAlive } from "./process.ts";

export interface FileLockOptions {
  /** Give up after waiting this long (default 30 s). */
  timeoutMs?: number;
  /** A lock older than this is taken as abandoned even if its owner's pid is alive (default 120 s). */
  staleMs?: number;
}

/**
 * Runs `fn` holding an exclusive lock shared by every process on this machine: the lock is a
 * file created with O_EXCL holding the owner's pid. A lock whose owner is gone (crashed) or
 * that is older than `staleMs` is broken. Used around the few read-modify-write updates of
 * small shared files (registries.yaml, cache bookkeeping); content itself never needs it,
 * because it is written to temporary files and renamed into place.
 *
 * @example await withFileLock(`${path}.lock`, async () => rewrite(path));
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const staleMs = options.staleMs ?? 120_000;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(lockPath)) break;
    if (isAbandoned(lockPath, staleMs)) {
      try {
        unlinkSync(lockPath);
      } catch {
        // Someone else broke it first: fine, try to take it.
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new InvalidInputError(`timed out waiting for the lock ${lockPath}`, { hint: "another idp process holds it; if none is running, delete the file" });
    }
    await Bun.sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 5)) + Math.random() * 10);
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      // Already broken as stale by someone else: nothing to release.
    }
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function isAbandoned(path: string, staleMs: number): boolean {
  try {
    const age = Date.now() - statSync(path).mtimeMs;
    if (age > staleMs) return true;
    const pid = Number(readFileSync(path, "utf8").trim());
    // An empty file is a lock being written right now: not abandoned.
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    return pid !== process.pid && !processAlive(pid);
  } catch {
    return false;
  }
}

