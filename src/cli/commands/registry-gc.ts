import type { CAC } from "cac";
import { data, info } from "../output.ts";

interface GcFlags {
  root?: string;
  config?: string;
  dryRun?: boolean;
  deleteUntagged?: boolean;
  grace?: string;
  uploadsMaxAge?: string;
  json?: boolean;
}

/** `idp registry gc`: remove what nothing references from an `idp serve` storage root. */
export function registerRegistryGc(cli: CAC): void {
  cli
    .command("registry gc", "Remove blobs, manifests and upload sessions nothing references (while idp serve keeps serving)")
    .option("--root <dir>", "Storage root of the registry (default $IDP_HOME/registry, as idp serve)")
    .option("--config <file>", "The registry's YAML config (its gc section: grace, retention, referrer rules)")
    .option("--dry-run", "Report what would be removed; change nothing")
    .option("--delete-untagged", "Also remove manifests no tag, index or live subject reaches")
    .option("--grace <duration>", "Spare content used more recently than this (default 1h)")
    .option("--uploads-max-age <duration>", "Purge upload sessions idle this long (default 24h)")
    .option("--json", "Print the report as JSON")
    .example("idp registry gc --dry-run")
    .example("idp registry gc --root /var/lib/idp --delete-untagged")
    .example("idp registry gc --config /etc/idp/registry.yaml --json")
    .action(async (flags: GcFlags) => {
      const { loadServeConfig } = await import("../../../registry/config.ts");
      const { collectGarbage } = await import("../../../registry/gc/control.ts");
      const { summaryLines } = await import("../../../registry/gc/report.ts");
      const config = await loadServeConfig({
        file: flags.config,
        flags: {
          root: flags.root,
          "gc.deleteUntagged": flags.deleteUntagged ? true : undefined,
          "gc.grace": flags.grace,
          "gc.uploadsMaxAge": flags.uploadsMaxAge,
        },
      });
      const { report, where } = await collectGarbage(config, {
        dryRun: flags.dryRun === true,
        deleteUntagged: config.gc.deleteUntagged,
        graceMs: config.gc.grace,
        uploadsMaxAgeMs: config.gc.uploadsMaxAge,
      });
      if (flags.json) {
        data(JSON.stringify({ ...report, root: config.root, ranIn: where }, null, 2));
        return;
      }
      info(`collected ${config.root} in ${where === "here" ? "this process (no server is using it)" : where}`);
      for (const line of summaryLines(report)) data(line);
    });
}
