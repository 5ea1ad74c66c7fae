import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";

/** `idp manifest get|inspect REF`. */
export function registerManifest(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("manifest get <reference>", "Print a manifest exactly as stored (bytes unchanged)")
      .example("idp manifest get 127.0.0.1:5000/team/app:v1 | jq .")
      .example("idp manifest get oci-layout:./out:v1 > manifest.json"),
  ).action(async (reference: string, flags: RemoteFlags) => {
    const { fetchManifest } = await import("../../client/manifest.ts");
    const { openStore } = await import("../targets.ts");
    const { target, ref } = await openStore(reference, flags);
    const { bytes } = await fetchManifest(target, ref);
    const { writeFd } = await import("../output.ts");
    writeFd(1, bytes);
  });
  withRemoteFlags(
    cli
      .command("manifest inspect <reference>", "Describe a manifest or index: type, config, layers, platforms, annotations")
      .option("--json", "Print the description as JSON")
      .example("idp manifest inspect 127.0.0.1:5000/team/app:v1")
      .example("idp manifest inspect docker.io/library/alpine:3.20 --json"),
  ).action(async (reference: string, flags: RemoteFlags & { json?: boolean }) => {
    const { fetchManifest, describeManifest, formatDescription } = await import("../../client/manifest.ts");
    const { openStore } = await import("../targets.ts");
    const { data, json } = await import("../output.ts");
    const { target, ref } = await openStore(reference, flags);
    const fetched = await fetchManifest(target, ref);
    const description = describeManifest(fetched.descriptor, fetched.bytes);
    if (flags.json) json(description);
    else data(formatDescription(description));
  });
}
