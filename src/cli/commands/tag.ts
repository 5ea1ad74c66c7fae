import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";
import { data, info, json } from "../output.ts";

/** `idp tag REF TAG...`: more tags for a manifest, without moving content. */
export function registerTag(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("tag <reference> <...tags>", "Add tags to the manifest a reference names (no content moves)")
      .option("--json", "Print {digest, tags} as JSON")
      .option("-q, --quiet", "Print only the digest")
      .example("idp tag 127.0.0.1:5000/team/app:1.2.3 1.2 1 latest")
      .example("idp tag oci-layout:./out@sha256:… stable"),
  ).action(async (reference: string, tags: string[], flags: RemoteFlags & { json?: boolean; quiet?: boolean }) => {
    const { openStore } = await import("../targets.ts");
    const { formatReference, referenceTarget } = await import("../../oci/reference.ts");
    const { assertTag } = await import("../../oci/names.ts");
    for (const tag of tags) assertTag(tag);
    const { target, ref } = await openStore(reference, flags);
    const desc = await target.resolve(referenceTarget(ref));
    for (const tag of tags) {
      await target.tag(desc, tag);
      if (!flags.json && !flags.quiet) info(`tagged ${formatReference({ ...ref, tag, digest: undefined })} → ${desc.digest}`);
    }
    if (flags.json) json({ digest: desc.digest, tags });
    else if (flags.quiet) data(desc.digest);
  });
}
