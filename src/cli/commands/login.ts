import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";

interface LoginFlags extends RemoteFlags {
  username?: string;
  passwordStdin?: boolean;
  dockerConfig?: boolean;
  skipVerify?: boolean;
}

/** `idp login REGISTRY` and `idp logout REGISTRY`. */
export function registerLogin(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("login <registry>", "Check credentials against a registry and save them")
      .option("-u, --username <name>", "User name")
      .option("--password-stdin", "Read the password (or token) from standard input")
      .option("--docker-config", "Save in Docker's config (~/.docker/config.json or its credential helper) instead of idp's store")
      .option("--skip-verify", "Save without asking the registry first")
      .example("echo \"$TOKEN\" | idp login ghcr.io -u my-user --password-stdin")
      .example("idp login 127.0.0.1:5000 -u admin   # prompts for the password on a terminal")
      .example("idp login corp -u ci --password-stdin < token   # a name from `idp registry list`"),
  ).action(async (registry: string, flags: LoginFlags) => {
    const { login } = await import("../../remote/index.ts");
    const { remoteOptions } = await import("../common.ts");
    const { info } = await import("../output.ts");
    const { UsageError } = await import("../usage.ts");
    const { readSecret } = await import("../secret.ts");
    const { registryHost } = await import("../../registries/lookup.ts");
    if (!flags.username) throw new UsageError("--username is required", "idp login REGISTRY -u NAME --password-stdin");
    // A configured registry name logs in to its host, with its entry's TLS settings.
    const { host, tls } = await registryHost(registry);
    const password = await readSecret(flags.passwordStdin ?? false, `password for ${flags.username}@${host}: `);
    const where = await login(
      host,
      { username: flags.username, password },
      { ...tls, ...(await remoteOptions(flags)), store: flags.dockerConfig ? "docker" : "idp", skipVerify: flags.skipVerify ?? false },
    );
    info(`login succeeded for ${flags.username}@${host}; saved in ${where}`);
  });
  cli
    .command("logout <registry>", "Forget the saved credentials of a registry")
    .option("--docker-config", "Remove them from Docker's config instead of idp's store")
    .example("idp logout ghcr.io")
    .action(async (registry: string, flags: { dockerConfig?: boolean }) => {
      const { logout } = await import("../../remote/index.ts");
      const { registryHost } = await import("../../registries/lookup.ts");
      const { info } = await import("../output.ts");
      const { host } = await registryHost(registry);
      const removed = await logout(host, { store: flags.dockerConfig ? "docker" : "idp" });
      info(removed ? `logged out of ${host}` : `no saved credentials for ${host}`);
    });
}
