import { mkdir, access, constants } from "node:fs/promises";
import { IdpError } from "../src/errors/index.ts";
import { createRegistryApp } from "./app.ts";
import { createAuthenticator } from "./auth/index.ts";
import { controlSocketPath, openControlSocket } from "./gc/control.ts";
import { claimRoot } from "./gc/lock.ts";
import { Maintenance } from "./gc/maintenance.ts";
import { isLoopback, parseListen, type ServeConfig } from "./config.ts";
import { formatDuration } from "./config-values.ts";
import type { ServeSummary } from "./ops/banner.ts";
import { AccessLog } from "./ops/log.ts";
import { RegistryMetrics } from "./ops/metrics.ts";
import { storageReadiness } from "./ops/readiness.ts";
import { opsRoutes } from "./ops/routes.ts";
import { loadTls } from "./ops/tls.ts";
import { FsDriver } from "./storage/fs.ts";
import { MemoryDriver } from "./storage/memory.ts";
import { RegistryStore } from "./storage/store.ts";

export { createRegistryApp } from "./app.ts";
export { RegistryStore } from "./storage/store.ts";
export { FsDriver } from "./storage/fs.ts";
export { MemoryDriver } from "./storage/memory.ts";
export { loadServeConfig, type ServeConfig } from "./config.ts";
export { bannerLines, type ServeSummary } from "./ops/banner.ts";

export interface RunningRegistry {
  /** Base URL clients use, e.g. http://127.0.0.1:5000 */
  url: string;
  /** host:port as clients write it in references. */
  host: string;
  root: string;
  store: RegistryStore;
  /** How it is set up, for the startup banner. */
  summary: ServeSummary;
  /** Stops accepting connections and waits for requests in flight. */
  stop(force?: boolean): Promise<void>;
}

/**
 * Starts `idp serve`: opens (creating) the storage root, then listens. Bun's request body
 * limit is lifted: uploads stream to disk and the routes enforce the real limits.
 */
export async function startRegistry(
  config: ServeConfig & { root: string },
  hooks: {
    onInternalError?: (error: unknown, request: Request) => void;
    /** A scheduled gc or upload purge failed. */
    onMaintenanceError?: (error: unknown) => void;
    version?: string;
  } = {},
): Promise<RunningRegistry> {
  const listen = parseListen(config.listen);
  if (!listen) throw new IdpError(`cannot listen on ${config.listen}: expected HOST:PORT`);
  const auth = await createAuthenticator(config);
  if (!auth && !config.allowAnonymous && !isLoopback(listen.hostname)) {
    throw new IdpError(`refusing to serve ${config.listen} without authentication: anyone who can reach it could push and delete`, {
      hint: "pass --htpasswd FILE to require sign-in, serve on 127.0.0.1, or pass --allow-anonymous if every client on this network may write",
    });
  }
  const metricsListen = config.metrics.enabled && config.metrics.listen ? parseListen(config.metrics.listen) : undefined;
  const tls = await loadTls(config.tls);
  let driver: FsDriver | MemoryDriver;
  let releaseRoot = async () => {};
  const socketPath = config.storage === "memory" ? null : controlSocketPath(config.root);
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
    releaseRoot = await claimRoot(driver, socketPath);
    await driver.sweepTemporaryFiles();
  }
  const metrics = config.metrics.enabled ? new RegistryMetrics(driver) : undefined;
  const store = new RegistryStore({
    driver,
    strictReferences: config.strictReferences,
    maxManifestBytes: config.limits.maxManifestBytes,
    maxBlobBytes: config.limits.maxBlobBytes || undefined,
    maxStorageBytes: config.limits.maxStorageBytes || undefined,
    onUploadBytes: metrics ? (bytes) => metrics.bytesIn.inc([], bytes) : undefined,
  });
  const log = config.log.access ? new AccessLog({ json: config.log.format === "json" || (config.log.format === "auto" && !process.stderr.isTTY) }) : undefined;
  let stopping = false;
  const readiness = storageReadiness(config.storage === "memory" ? undefined : config.root, () => stopping);
  const app = createRegistryApp({
    store,
    maxTagsPage: config.limits.maxTagsPage,
    maxCatalogPage: config.limits.maxCatalogPage,
    maxConcurrentUploads: config.limits.maxConcurrentUploads,
    onInternalError: hooks.onInternalError,
    auth,
    readOnly: config.readOnly,
    metrics,
    metricsFor: metricsListen ? "nobody" : "loopback",
    log,
    readiness,
  });
  const maintenance = new Maintenance({ store, gc: config.gc, metrics, log, onError: hooks.onMaintenanceError });
  let server: Bun.Server<undefined>;
  try {
    server = listenOn(config.listen, {
      hostname: listen.hostname,
      port: listen.port,
      fetch: app.fetch,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: 120,
      development: false,
      ...(tls ? { tls } : {}),
    });
  } catch (error) {
    await releaseRoot();
    throw error;
  }
  let metricsServer: Bun.Server<undefined> | undefined;
  if (metricsListen && metrics) {
    const opsApp = opsRoutes({ metrics, readiness, metricsFor: "everyone" });
    try {
      metricsServer = listenOn(config.metrics.listen!, { hostname: metricsListen.hostname, port: metricsListen.port, fetch: opsApp.fetch, development: false });
    } catch (error) {
      await server.stop(true);
      await releaseRoot();
      throw error;
    }
  }
  maintenance.start();
  const control = socketPath ? await openControlSocket(socketPath, maintenance) : undefined;
  const host = `${shownHostname(listen.hostname)}:${server.port}`;
  const url = `${tls ? "https" : "http"}://${host}`;
  const summary: ServeSummary = {
    version: hooks.version ?? "",
    url,
    root: config.storage === "memory" ? "memory" : config.root,
    storage: config.storage,
    auth: auth ? auth.type : "off",
    users: auth?.userCount ?? 0,
    anonymous: !auth ? "everything" : config.auth.anonymousRead ? "read" : "nothing",
    tokenRealm: auth?.type === "token" ? (auth.token.realm ?? `${url}/auth/token`) : undefined,
    tokenKey: auth?.type === "token" ? `${auth.token.key.alg}, ${auth.token.key.source}` : undefined,
    tls: !tls ? "off" : tls.requestCert ? "on, client certificates required" : "on",
    readOnly: config.readOnly,
    metrics: !metrics
      ? "off"
      : metricsServer
        ? `http://${shownHostname(metricsListen!.hostname)}:${metricsServer.port}/metrics`
        : `${url}/metrics (loopback clients only)`,
    gc:
      (config.gc.interval > 0 ? `every ${formatDuration(config.gc.interval)}, grace ${formatDuration(config.gc.grace)}` : "on demand") +
      (control ? ` (idp registry gc --root ${config.root})` : config.storage === "memory" ? "" : " (no control socket: root path too long)") +
      `; uploads idle ${formatDuration(config.gc.uploadsMaxAge)} are purged`,
    warnings: !auth && !isLoopback(listen.hostname) ? [`no authentication on ${config.listen} (--allow-anonymous)`] : [],
  };
  return {
    url,
    host,
    root: summary.root,
    store,
    summary,
    async stop(force = false) {
      stopping = true;
      await maintenance.stop();
      await Promise.all([server.stop(force), metricsServer?.stop(force), control?.close()]);
      await releaseRoot();
      log?.flush();
    },
  };
}

/** Bun.serve with listen failures turned into one clear line. */
function listenOn(address: string, options: Bun.Serve.Options<undefined>): Bun.Server<undefined> {
  try {
    return Bun.serve(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "address already in use" : code === "EACCES" ? "permission denied" : String((error as Error).message ?? error);
    throw new IdpError(`cannot listen on ${address}: ${why}`, {
      hint: code === "EADDRINUSE" ? "stop what holds the port, or pass --listen 127.0.0.1:<other port>" : undefined,
    });
  }
}

/** The host part clients write: 0.0.0.0 is reached as 127.0.0.1 from here, IPv6 in brackets. */
function shownHostname(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
