import * as v from "valibot";
import { RegistryError } from "../errors.ts";
import { BLOBS, uploadDataPath, uploadDir, uploadInfoPath } from "../storage/paths.ts";
import type { GcRun } from "./collect.ts";

/**
 * Sweeps the content store: a file whose link count is 1 is in no repository, and is deleted
 * when nobody used it within the grace window, or when this run removed its last repository
 * link. (Anything still reachable has a repository link, so its count is at least 2.)
 *
 * The race with a push that links the same file at that moment is closed by quarantine: the
 * file is first given a temporary name and its content-store name removed, so no new link
 * can be made from it; then, if the count shows someone linked it meanwhile, it is put back;
 * otherwise the temporary name, the last one, goes. A push that finds the name gone in
 * between links its own verified copy instead (RegistryStore retries).
 *
 * @example await sweepContent(run); // after every repository was collected
 */
export async function sweepContent(run: GcRun): Promise<void> {
  const { driver } = run.store;
  for (const algorithm of await driver.list(BLOBS)) {
    for (const encoded of await driver.list(`${BLOBS}/${algorithm}`)) {
      const digest = `${algorithm}:${encoded}`;
      const path = `${BLOBS}/${algorithm}/${encoded}`;
      const stat = await driver.stat(path);
      if (!stat) continue;
      const unlinked = run.unlinked.get(digest) ?? 0;
      const links = run.dryRun ? stat.links - unlinked : stat.links;
      if (links > 1 || (stat.changedMs >= run.cutoffMs && unlinked === 0)) continue;
      if (run.dryRun || (await quarantineAndDelete(run, path, encoded))) {
        run.report.blobsDeleted++;
        run.report.bytesFreed += stat.size;
      }
    }
  }
}

async function quarantineAndDelete(run: GcRun, path: string, encoded: string): Promise<boolean> {
  const { driver } = run.store;
  const quarantine = `tmp/${process.pid}-gc-${encoded}`;
  try {
    if (!(await driver.link(path, quarantine))) return false;
  } catch {
    return false;
  }
  await driver.remove(path);
  const after = await driver.stat(quarantine);
  if (after && after.links > 1) {
    await driver.link(quarantine, path).catch(() => false);
    await driver.remove(quarantine);
    return false;
  }
  await driver.remove(quarantine);
  return true;
}

const InfoSchema = v.object({ repository: v.string(), started: v.number() });

/**
 * Purges upload sessions idle for `maxAgeMs`: no bytes appended since (the data file's
 * ctime) and started before. Each goes through RegistryStore.cancelUpload, which waits for a
 * chunk being written to that session; a directory without a readable info.json is debris
 * and is removed outright.
 *
 * @example await purgeUploads({ store, dryRun: false, report }, 24 * 3_600_000);
 */
export async function purgeUploads(run: Pick<GcRun, "store" | "dryRun" | "report">, maxAgeMs: number, now = Date.now()): Promise<void> {
  const { store } = run;
  const { driver } = store;
  for (const id of await store.listUploads()) {
    const info = v.safeParse(InfoSchema, parseJson(await driver.read(uploadInfoPath(id))));
    const data = await driver.stat(uploadDataPath(id));
    const lastActivity = Math.max(info.success ? info.output.started : 0, data?.changedMs ?? 0);
    if (now - lastActivity < maxAgeMs) continue;
    if (!run.dryRun) {
      if (info.success) {
        try {
          await store.cancelUpload(info.output.repository, id);
        } catch (error) {
          if (!(error instanceof RegistryError)) throw error;
          continue;
        }
      } else {
        await driver.remove(uploadDir(id));
      }
    }
    run.report.uploadsPurged++;
  }
}

function parseJson(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
