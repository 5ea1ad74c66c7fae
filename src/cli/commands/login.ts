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
      .example("idp login 127.0.0.1:5000 -u admin   # prompts for the password on a terminal"),
  ).action(async (registry: string, flags: LoginFlags) => {
    const { login } = await import("../../remote/index.ts");
    const { remoteOptions } = await import("../common.ts");
    const { info } = await import("../output.ts");
    const { UsageError } = await import("../usage.ts");
    const { readSecret } = await import("../secret.ts");
    if (!flags.username) throw new UsageError("--username is required", "idp login REGISTRY -u NAME --password-stdin");
    const password = await readSecret(flags.passwordStdin ?? false, `password for ${flags.username}@${registry}: `);
    const where = await login(
      registry,
      { username: flags.username, password },
      { ...(await remoteOptions(flags)), store: flags.dockerConfig ? "docker" : "idp", skipVerify: flags.skipVerify ?? false },
    );
    info(`login succeeded for ${flags.username}@${registry}; saved in ${where}`);
  });
  cli
    .command("logout <registry>", "Forget the saved credentials of a registry")
    .option("--docker-config", "Remove them from Docker's config instead of idp's store")
    .example("idp logout ghcr.io")
    .action(async (registry: string, flags: { dockerConfig?: boolean }) => {
      const { logout } = await import("../../remote/index.ts");
      const { info } = await import("../output.ts");
      const removed = await logout(registry, { store: flags.dockerConfig ? "docker" : "idp" });
      info(removed ? `logged out of ${registry}` : `no saved credentials for ${registry}`);
    });
}
