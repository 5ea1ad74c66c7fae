import { mkdir, access, constants } from "node:fs/promises";
import { IdpError } from "../src/errors/index.ts";
import { createRegistryApp } from "./app.ts";
import { parseListen, type ServeConfig } from "./config.ts";
import { FsDriver } from "./storage/fs.ts";
import { MemoryDriver } from "./storage/memory.ts";
import { RegistryStore } from "./storage/store.ts";

export { createRegistryApp } from "./app.ts";
export { RegistryStore } from "./storage/store.ts";
export { FsDriver } from "./storage/fs.ts";
export { MemoryDriver } from "./storage/memory.ts";
export { loadServeConfig, type ServeConfig } from "./config.ts";

export interface RunningRegistry {
  /** Base URL clients use, e.g. http://127.0.0.1:5000 */
  url: string;
  /** host:port as clients write it in references. */
  host: string;
  root: string;
  store: RegistryStore;
  /** Stops accepting connections and waits for requests in flight. */
  stop(force?: boolean): Promise<void>;
}

/**
 * Starts `idp serve`: opens (creating) the storage root, then listens. Bun's request body
 * limit is lifted: uploads stream to disk and the routes enforce the real limits.
 */
export async function startRegistry(
  config: ServeConfig & { root: string },
  hooks: { onInternalError?: (error: unknown, request: Request) => void } = {},
): Promise<RunningRegistry> {
  const listen = parseListen(config.listen);
  if (!listen) throw new IdpError(`cannot listen on ${config.listen}: expected HOST:PORT`);
  let driver: FsDriver | MemoryDriver;
  if (config.storage === "memory") {
    driver = new MemoryDriver();
  } else {
    try {
      await mkdir(config.root, { recursive: true });
      await access(config.root, constants.W_OK);
    } catch (error) {
      throw new IdpError(`storage root ${config.root} is not writable (${(error as NodeJS.ErrnoException).code ?? error})`, {
        hint: "pass --root DIR or set IDP_HOME to a directory you can write",
      });
    }
    driver = new FsDriver(config.root);
    await driver.sweepTemporaryFiles();
  }
  const store = new RegistryStore({
    driver,
    strictReferences: config.strictReferences,
    maxManifestBytes: config.limits.maxManifestBytes,
    maxBlobBytes: config.limits.maxBlobBytes || undefined,
  });
  const app = createRegistryApp({
    store,
    maxTagsPage: config.limits.maxTagsPage,
    maxCatalogPage: config.limits.maxCatalogPage,
    onInternalError: hooks.onInternalError,
  });
  let server: Bun.Server<undefined>;
  try {
    server = Bun.serve({
      hostname: listen.hostname,
      port: listen.port,
      fetch: app.fetch,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: 120,
      development: false,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "address already in use" : code === "EACCES" ? "permission denied" : String((error as Error).message ?? error);
    throw new IdpError(`cannot listen on ${config.listen}: ${why}`, {
      hint: code === "EADDRINUSE" ? "stop what holds the port, or pass --listen 127.0.0.1:<other port>" : undefined,
    });
  }
  const hostPart = listen.hostname.includes(":") ? `[${listen.hostname}]` : listen.hostname;
  const shownHost = listen.hostname === "0.0.0.0" ? "127.0.0.1" : hostPart;
  const host = `${shownHost}:${server.port}`;
  return {
    url: `http://${host}`,
    host,
    root: config.storage === "memory" ? "memory" : config.root,
    store,
    async stop(force = false) {
      await server.stop(force);
    },
  };
}
