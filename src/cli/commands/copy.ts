import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";

interface CopyFlags extends RemoteFlags {
  referrers?: boolean;
  concurrency?: string | number;
  json?: boolean;
  quiet?: boolean;
}

/** `idp copy SRC DST`: the copy engine between any two stores. */
export function registerCopy(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("copy <source> <destination>", "Copy an image, index or artifact (and optionally its referrers) between registries and layouts")
      .option("--referrers", "Also copy referrers (signatures, SBOMs) of everything copied")
      .option("--concurrency <n>", "Blobs in flight at once (default 4)")
      .option("--json", "Print {source, destination, digest, copied, skipped, mounted, bytes} as JSON")
      .option("-q, --quiet", "Print only the digest")
      .example("idp copy docker.io/library/alpine:3.20 127.0.0.1:5000/mirror/alpine:3.20")
      .example("idp copy 127.0.0.1:5000/team/app:v1 oci-layout:./backup:v1 --referrers")
      .example("idp copy oci-layout:./backup:v1 registry.example.com/team/app:v1"),
  ).action(async (source: string, destination: string, flags: CopyFlags) => {
    const { runCopy } = await import("../../client/copy.ts");
    const { openStore } = await import("../targets.ts");
    const { Progress, progressMode } = await import("../progress.ts");
    const { data, json } = await import("../output.ts");
    const { UsageError } = await import("../usage.ts");
    const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) throw new UsageError("--concurrency must be a positive whole number");
    const src = await openStore(source, flags);
    const dst = await openStore(destination, flags, { create: true });
    const progress = new Progress({ verb: "copy", mode: progressMode(flags) });
    const { onInterrupt } = await import("../interrupt.ts");
    const stop = onInterrupt();
    try {
      const result = await runCopy(src, dst, { referrers: flags.referrers ?? false, concurrency, observer: progress, signal: stop.signal });
      if (flags.json) json({ source: src.label, destination: dst.label, ...result });
      else data(result.digest);
    } finally {
      stop.off();
      progress.close();
    }
  });
}
