import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";
import { data, json } from "../output.ts";

/** `idp catalog REGISTRY`: the repositories of a registry. */
export function registerCatalog(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("catalog <registry>", "List the repositories of a registry (/v2/_catalog); a configured registry name works too")
      .option("--json", "Print {registry, repositories} as JSON")
      .example("idp catalog 127.0.0.1:5000")
      .example("idp catalog registry.example.com --json")
      .example("idp catalog local   # a name from `idp registry list`"),
  ).action(async (registry: string, flags: RemoteFlags & { json?: boolean }) => {
    const { openConfiguredRegistry } = await import("../../registries/open.ts");
    const { remoteOptions } = await import("../common.ts");
    const reg = await openConfiguredRegistry(registry, await remoteOptions(flags));
    const repositories: string[] = [];
    for await (const name of reg.catalog()) repositories.push(name);
    if (flags.json) json({ registry, repositories });
    else if (repositories.length) data(repositories.join("\n"));
  });
}
