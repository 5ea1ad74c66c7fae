import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";
import { data, json } from "../output.ts";

/** `idp tags REPO`: the tags of a repository (or layout). */
export function registerTags(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("tags <repository>", "List the tags of a repository")
      .option("--json", "Print {repository, tags} as JSON")
      .example("idp tags 127.0.0.1:5000/team/app")
      .example("idp tags oci-layout:./out --json"),
  ).action(async (repository: string, flags: RemoteFlags & { json?: boolean }) => {
    const { openStore } = await import("../targets.ts");
    const { canListTags } = await import("../../content/types.ts");
    const { UnsupportedError } = await import("../../errors/index.ts");
    const { target, label } = await openStore(repository, flags);
    if (!canListTags(target)) throw new UnsupportedError(`${label} cannot list tags`);
    const tags: string[] = [];
    for await (const tag of target.tags()) tags.push(tag);
    if (flags.json) json({ repository: label, tags });
    else if (tags.length) data(tags.join("\n"));
  });
}
