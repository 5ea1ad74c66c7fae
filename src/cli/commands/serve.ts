import type { CAC } from "cac";
import { data, info, printError } from "../output.ts";

interface ServeFlags {
  listen?: string;
  root?: string;
  config?: string;
  storage?: string;
  strictReferences?: boolean;
  json?: boolean;
}

/** `idp serve`: the embedded OCI registry. */
export function registerServe(cli: CAC): void {
  cli
    .command("serve", "Run the embedded OCI registry (OCI Distribution 1.1)")
    .option("--listen <host:port>", "Address to listen on (default 127.0.0.1:5000; port 0 picks a free one)")
    .option("--root <dir>", "Storage root (default $IDP_HOME/registry, i.e. ~/.idp/registry)")
    .option("--config <file>", "YAML config file (flags override it; env IDP_REGISTRY_CONFIG)")
    .option("--storage <kind>", "fs (default) or memory (nothing survives a restart)")
    .option("--strict-references", "Refuse manifests whose blobs or child manifests are missing")
    .option("--json", "Print the startup line as JSON")
    .example("idp serve")
    .example("idp serve --listen 127.0.0.1:5001 --root /var/lib/idp")
    .example("IDP_HOME=/srv/idp idp serve --config /etc/idp/registry.yaml")
    .action(async (flags: ServeFlags) => {
      const { loadServeConfig, startRegistry } = await import("../../../registry/index.ts");
      const { VERSION } = await import("../../version.ts");
      const config = await loadServeConfig({
        file: flags.config,
        flags: {
          listen: flags.listen,
          root: flags.root,
          storage: flags.storage,
          strictReferences: flags.strictReferences ? true : undefined,
        },
      });
      const registry = await startRegistry(config, {
        onInternalError: (error, request) => {
          const path = new URL(request.url).pathname;
          printError(`internal error on ${request.method} ${path}: ${(error as Error)?.stack ?? String(error)}`);
        },
      });
      if (flags.json) data(JSON.stringify({ event: "listening", url: registry.url, root: registry.root, version: VERSION }));
      else info(`idp ${VERSION} serving an OCI registry at ${registry.url} (storage: ${registry.root})`);
      await untilSignalled(async (force) => {
        info(force ? "stopping now" : "stopping: finishing requests in flight (Ctrl-C again to force)");
        await registry.stop(force);
      });
    });
}

/** Resolves after SIGINT/SIGTERM once `stop` finished; a second signal forces. */
function untilSignalled(stop: (force: boolean) => Promise<void>): Promise<void> {
  return new Promise((done) => {
    let stopping = false;
    const onSignal = () => {
      const force = stopping;
      stopping = true;
      void stop(force).then(done, done);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
