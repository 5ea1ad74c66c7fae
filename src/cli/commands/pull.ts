import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";

interface PullFlags extends RemoteFlags {
  output?: string;
  overwrite?: boolean;
  /** false with --no-cache. */
  cache?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** `idp pull REF [-o DIR]`: an artifact's files, safely. */
export function registerPull(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("pull <reference>", "Pull an artifact's files into a directory (titled layers become files; directory layers are unpacked safely)")
      .option("-o, --output <dir>", "Directory to write into (default: the current directory)")
      .option("--overwrite", "Replace files that exist")
      .option("--no-cache", "Bypass the local cache: keep nothing, write each file once (one-off pulls in CI)")
      .option("--json", "Print {digest, written, skipped} as JSON")
      .option("-q, --quiet", "Print only the digest")
      .example("idp pull 127.0.0.1:5000/team/notes:v1 -o ./notes")
      .example("idp pull oci-layout:./backup:v1 --overwrite")
      .example("idp pull registry.example.com/team/cfg:v2 -o ./cfg --no-cache"),
  ).action(async (reference: string, flags: PullFlags) => {
    const [{ pullArtifact }, { openStore }, { Progress, progressMode }, { data, json, warn }, { onInterrupt }] = await Promise.all([
      import("../../client/pull.ts"),
      import("../targets.ts"),
      import("../progress.ts"),
      import("../output.ts"),
      import("../interrupt.ts"),
    ]);
    const { target, ref } = await openStore(reference, flags);
    const progress = new Progress({ verb: "pull", mode: progressMode(flags) });
    const stop = onInterrupt();
    try {
      const result = await pullArtifact(target, ref, flags.output ?? ".", { overwrite: flags.overwrite ?? false, observer: progress, signal: stop.signal, ...(flags.cache === false ? { cache: false as const } : {}) });
      progress.close();
      if (flags.json) return json({ digest: result.digest, written: result.written, skipped: result.skipped.map((d) => d.digest) });
      if (result.skipped.length && !flags.quiet) warn(`${result.skipped.length} layer(s) without a title were not written (they name no file)`);
      data(result.digest);
    } finally {
      stop.off();
      progress.close();
    }
  });
}
