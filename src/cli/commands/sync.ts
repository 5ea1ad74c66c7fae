import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";

interface SyncFlags extends RemoteFlags {
  config?: string;
  dryRun?: boolean;
  once?: boolean;
  interval?: string;
  cron?: string;
  followDeps?: boolean;
  includeImages?: boolean;
  state?: string;
  json?: boolean;
  quiet?: boolean;
}

/** `idp sync --config sync.yaml`: registry-to-registry replication. */
export function registerSync(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("sync", "Replicate repositories between registries as sync.yaml says: once, or on an interval or cron schedule until stopped")
      .option("-c, --config <file>", "The sync config (required; see docs/sync.md)")
      .option("--dry-run", "Print what each pass would copy; copy nothing")
      .option("--once", "Run one pass even if the config has a schedule")
      .option("--interval <duration>", "Run a pass this often until stopped (30s, 15m, 1h)")
      .option("--cron <expression>", "Run passes on this cron schedule (5 fields, UTC) until stopped")
      .option("--follow-deps", "Also replicate the dependency closure of every package synced (all rules)")
      .option("--include-images", "Also the images the synced packages' manifests run; implies --follow-deps (all rules)")
      .option("--state <file>", "Remember target digests here between runs (overrides the config's state)")
      .option("--json", "Print each pass's report as one line of JSON")
      .option("-q, --quiet", "Print only failures")
      .example("idp sync --config sync.yaml")
      .example("idp sync --config sync.yaml --dry-run")
      .example("idp sync --config sync.yaml --interval 15m --follow-deps"),
  ).action(async (flags: SyncFlags) => {
    const { UsageError } = await import("../usage.ts");
    const { remoteOptions } = await import("../common.ts");
    const { loadSyncConfig, runSync, scheduleFrom, formatPass, totals, Stopper } = await import("../../sync/index.ts");
    const { IdpError, InterruptedError } = await import("../../errors/index.ts");
    const { data, info, warn } = await import("../output.ts");
    if (!flags.config) throw new UsageError("give the sync config with --config sync.yaml", "see docs/sync.md for the format");
    const config = await loadSyncConfig(flags.config);
    if (flags.state) config.state = flags.state;
    if (flags.followDeps || flags.includeImages) {
      config.defaults = { ...config.defaults, followDeps: true, ...(flags.includeImages ? { includeImages: true } : {}) };
      for (const rule of config.sync) {
        rule.followDeps = true;
        if (flags.includeImages) rule.includeImages = true;
      }
    }
    const schedule = scheduleFrom(flags, config);
    const stop = new Stopper();
    const unhook = stop.listen(warn);
    try {
      const reports = await runSync(config, {
        schedule,
        stop,
        remote: await remoteOptions(flags),
        dryRun: flags.dryRun ?? false,
        onPass: (report) => {
          if (flags.json) data(JSON.stringify(report));
          else if (!flags.quiet || totals(report).failed > 0) data(formatPass(report));
        },
        onWait: (next) => {
          if (!flags.quiet && !flags.json) info(`next pass at ${next.toISOString()} (Ctrl-C to stop)`);
        },
      });
      const last = reports[reports.length - 1]!;
      if (last.interrupted) throw new InterruptedError(`sync interrupted during pass ${last.pass}`, { hint: "what was copied is kept; run again to continue" });
      const failed = totals(last).failed;
      if (failed > 0 && schedule.kind === "once") {
        throw new IdpError(`sync pass failed for ${failed} tag${failed === 1 ? "" : "s"} or repositor${failed === 1 ? "y" : "ies"} (the rest were synced)`, { hint: "the report above says what failed and why" });
      }
    } finally {
      unhook();
    }
  });
}
