import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";

interface TestFlags extends RemoteFlags {
  repository?: string;
  write?: boolean;
  readOnly?: boolean;
  json?: boolean;
}

/** `idp registry test NAME|HOST`: probe what a registry supports. */
export function registerRegistryTest(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("registry test <registry>", "Probe a registry: API version, auth, catalog, referrers, chunked uploads, mount, delete")
      .option("--repository <repo>", "Repository for the read checks (default: the catalog's first)")
      .option("--write", "Probe uploads, mount and delete even where a push leaves something behind (Docker Hub, GHCR)")
      .option("--read-only", "Do not push the scratch blob (uploads, mount and delete are not probed)")
      .option("--json", "Print the report as JSON")
      .example("idp registry test local")
      .example("idp registry test harbor.example.com --read-only --json"),
  ).action(async (registry: string, flags: TestFlags) => {
    const { loadRegistries } = await import("../../registries/file.ts");
    const { requireRegistry } = await import("../../registries/resolve.ts");
    const { registryContext } = await import("../../registries/context.ts");
    const { testRegistry } = await import("../../registries/probe.ts");
    const { remoteOptions } = await import("../common.ts");
    const { UsageError } = await import("../usage.ts");
    const { data, json } = await import("../output.ts");
    const { table } = await import("../table.ts");
    if (flags.write && flags.readOnly) throw new UsageError("--write and --read-only contradict each other");
    const ctx = registryContext(requireRegistry(await loadRegistries(), registry), await remoteOptions(flags));
    const report = await testRegistry(ctx, {
      ...(flags.repository ? { repository: flags.repository } : {}),
      ...(flags.write ? { write: true } : flags.readOnly ? { write: false } : {}),
    });
    if (flags.json) return json(report);
    const auth = report.auth.scheme === "none" ? "none (anonymous access)" : `${report.auth.scheme}${report.auth.realm ? ` realm=${report.auth.realm}` : ""}${report.auth.service ? ` service=${report.auth.service}` : ""}`;
    const lines = [
      `registry:     ${report.registry} (${report.host})`,
      `provider:     ${report.provider.title} (${report.provider.kind})`,
      `api version:  ${report.apiVersion ?? "not announced"}`,
      `auth:         ${auth}`,
      `credentials:  ${report.credentials.result}${report.credentials.source ? ` (${report.credentials.source})` : ""}`,
      ...(report.rateLimit ? [`rate limit:   ${report.rateLimit.remaining ?? "?"} of ${report.rateLimit.limit} left`] : []),
      "",
      table(report.checks.map((c) => [c.name, c.result, c.detail])),
      ...(report.leftBehind.length ? ["", `left behind (delete not allowed): ${report.leftBehind.join("; ")}`] : []),
      ...report.notes.map((n) => `note: ${n}`),
    ];
    data(lines.join("\n"));
  });
}
