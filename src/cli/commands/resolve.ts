import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";
import { data, json } from "../output.ts";

/** `idp resolve REF`: the digest a reference names. */
export function registerResolve(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("resolve <reference>", "Print the digest of the manifest a reference names")
      .option("--json", "Print the descriptor (mediaType, digest, size) as JSON")
      .example("idp resolve 127.0.0.1:5000/team/app:v1")
      .example("digest=$(idp resolve registry.example.com/platform/base:1.2.0)"),
  ).action(async (reference: string, flags: RemoteFlags & { json?: boolean }) => {
    const { openStore } = await import("../targets.ts");
    const { referenceTarget } = await import("../../oci/reference.ts");
    const { target, ref } = await openStore(reference, flags);
    const desc = await target.resolve(referenceTarget(ref));
    if (flags.json) json({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size });
    else data(desc.digest);
  });
}
