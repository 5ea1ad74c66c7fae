import type { CAC } from "cac";
import { data, info, printError } from "../output.ts";

interface ServeFlags {
  listen?: string;
  root?: string;
  config?: string;
  storage?: string;
  strictReferences?: boolean;
  json?: boolean;
  htpasswd?: string;
  auth?: string;
  tokenKey?: string;
  anonymousRead?: boolean;
  allowAnonymous?: boolean;
  readOnly?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  metricsListen?: string;
  logFormat?: string;
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
    .option("--htpasswd <file>", "Require sign-in: users and bcrypt hashes (htpasswd -B); see docs/registry-operations.md")
    .option("--auth <type>", "basic (default) or token (Docker token flow; idp serves /auth/token)")
    .option("--token-key <file>", "PEM key (EC P-256 or RSA) that signs tokens (default: a new key each start)")
    .option("--anonymous-read", "With --htpasswd: clients without credentials may pull")
    .option("--allow-anonymous", "Allow serving without --htpasswd on an address other than loopback")
    .option("--read-only", "Maintenance mode: serve pulls, refuse pushes and deletes (405)")
    .option("--tls-cert <file>", "Serve HTTPS with this PEM certificate (with --tls-key)")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--tls-client-ca <file>", "Require client certificates signed by this CA")
    .option("--metrics-listen <host:port>", "Serve /metrics there (default: on --listen, to loopback clients only)")
    .option("--log-format <format>", "Access log on stderr: auto (JSON unless a terminal), json or text")
    .option("--json", "Print the startup line as JSON")
    .example("idp serve")
    .example("idp serve --listen 127.0.0.1:5001 --root /var/lib/idp")
    .example("idp serve --listen 0.0.0.0:5000 --htpasswd /etc/idp/htpasswd --auth token --tls-cert cert.pem --tls-key key.pem")
    .example("IDP_HOME=/srv/idp idp serve --config /etc/idp/registry.yaml")
    .action(async (flags: ServeFlags) => {
      const { bannerLines, loadServeConfig, startRegistry } = await import("../../../registry/index.ts");
      const { VERSION } = await import("../../version.ts");
      const config = await loadServeConfig({
        file: flags.config,
        flags: {
          listen: flags.listen,
          root: flags.root,
          storage: flags.storage,
          strictReferences: flags.strictReferences ? true : undefined,
          "auth.htpasswd": flags.htpasswd,
          "auth.type": flags.auth,
          "auth.token.key": flags.tokenKey,
          "auth.anonymousRead": flags.anonymousRead ? true : undefined,
          allowAnonymous: flags.allowAnonymous ? true : undefined,
          readOnly: flags.readOnly ? true : undefined,
          "tls.cert": flags.tlsCert,
          "tls.key": flags.tlsKey,
          "tls.clientCa": flags.tlsClientCa,
          "metrics.listen": flags.metricsListen,
          "log.format": flags.logFormat,
        },
      });
      const registry = await startRegistry(config, {
        version: VERSION,
        onMaintenanceError: (error) => printError(`housekeeping failed: ${(error as Error)?.message ?? String(error)}`),
        onInternalError: (error, request) => {
          const path = new URL(request.url).pathname;
          printError(`internal error on ${request.method} ${path}: ${(error as Error)?.stack ?? String(error)}`);
        },
      });
      // Handlers go in before the banner: whoever waits for the banner may signal at once.
      const stopped = untilSignalled(async (force) => {
        info(force ? "stopping now" : "stopping: finishing requests in flight (Ctrl-C again to force)");
        await registry.stop(force);
      });
      if (flags.json) data(JSON.stringify({ event: "listening", ...registry.summary }));
      else info(bannerLines(registry.summary).join("\n"));
      await stopped;
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
