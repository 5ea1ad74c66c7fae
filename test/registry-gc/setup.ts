import { createRegistryApp } from "../../registry/app.ts";
import type { ServeConfig } from "../../registry/config.ts";
import { gcOptionsOf, runGc, type GcOptions } from "../../registry/gc/run.ts";
import type { GcReport } from "../../registry/gc/report.ts";
import type { Driver } from "../../registry/storage/driver.ts";
import { FsDriver } from "../../registry/storage/fs.ts";
import { MemoryDriver } from "../../registry/storage/memory.ts";
import { RegistryStore } from "../../registry/storage/store.ts";
import { tempDir } from "../helpers/idp.ts";
import { makeImage, type Content, type Image } from "../helpers/oci.ts";

/** A registry app in this process over a real driver, with gc callable on its own store. */
export interface GcRegistry {
  url: string;
  store: RegistryStore;
  driver: Driver;
  gc(options?: Partial<GcOptions>): Promise<GcReport>;
  stop(): Promise<void>;
}

export const NO_RULES: ServeConfig["gc"] = { deleteUntagged: false, grace: 3_600_000, uploadsMaxAge: 86_400_000, retention: [], referrers: [], interval: 0 };

export async function startGcRegistry(kind: "memory" | "fs", rules: Partial<typeof NO_RULES> = {}): Promise<GcRegistry> {
  const dir = kind === "fs" ? tempDir("idp-gc-") : undefined;
  const driver = dir ? new FsDriver(dir.path) : new MemoryDriver();
  const store = new RegistryStore({ driver });
  const app = createRegistryApp({ store, onInternalError: (error) => console.error(error) });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
  return {
    url: `http://127.0.0.1:${server.port}`,
    store,
    driver,
    gc: (options = {}) => runGc(store, gcOptionsOf({ ...NO_RULES, ...rules }, options)),
    async stop() {
      await server.stop(true);
      dir?.remove();
    },
  };
}

/** Whether `repo` still serves `digest` as a blob (by GET: a HEAD would renew its grace). */
export async function hasBlob(url: string, repo: string, digest: string): Promise<boolean> {
  const res = await fetch(`${url}/v2/${repo}/blobs/${digest}`);
  await res.arrayBuffer();
  return res.status === 200;
}

export async function hasManifest(url: string, repo: string, reference: string): Promise<boolean> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${reference}`);
  await res.arrayBuffer();
  return res.status === 200;
}

/** Lets the clock move past what was just written, so a zero grace window covers it. */
export const tick = () => Bun.sleep(15);

/** An OCI image whose layers are the given blobs (to share a layer between images). */
export function imageWith(layers: Content[]): Image {
  return makeImage({ layerContents: layers });
}
