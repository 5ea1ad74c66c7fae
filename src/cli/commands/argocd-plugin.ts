import type { CAC } from "cac";
import { list, withRemoteFlags, type RemoteFlags } from "../common.ts";

interface PluginFlags extends RemoteFlags {
  output?: string;
  image?: string;
  name?: string;
  namespace?: string;
  command?: string;
  credentialsSecret?: string;
  generateArg?: string | string[];
}

/**
 * `idp argocd plugin generate|install`: the Config Management Plugin route, for Argo CD older
 * than 3.1 (no native OCI source) or policies the native source cannot express.
 */
export function registerArgocdPlugin(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("argocd plugin <action>", "Config Management Plugin: `generate` (run by Argo CD's repo-server) or `install -o DIR` (the sidecar files)")
      .usage(
        "argocd plugin generate            # in the plugin sidecar: reads ARGOCD_APP_* and ARGOCD_ENV_IDP_* and prints the package's objects\n" +
          "  $ idp argocd plugin install -o DIR --image IMAGE   # writes plugin.yaml, configmap.yaml and repo-server-patch.yaml",
      )
      .option("-o, --output <dir>", "install: where to write the files")
      .option("--image <image>", "install: the sidecar image that holds the idp binary")
      .option("--name <name>", "install: plugin name Applications refer to (default idp)")
      .option("--namespace <ns>", "install: namespace Argo CD runs in (default argocd)")
      .option("--command <path>", "install: path of idp inside the image (default idp)")
      .option("--credentials-secret <name>", "install: Secret with IDP_REGISTRY_* variables for private registries (default idp-registry-credentials)")
      .option("--generate-arg <flag>", "install: extra flag for generate, e.g. --generate-arg=--plain-http (repeatable)")
      .example("ARGOCD_ENV_IDP_PACKAGE=127.0.0.1:5000/examples/ingress:1.2.0 idp argocd plugin generate")
      .example("idp argocd plugin install -o argocd/idp-plugin --image registry.example.com/platform/idp-cmp:0.1.0"),
  ).action(async (action: string, flags: PluginFlags) => {
    const { UsageError } = await import("../usage.ts");
    if (action === "generate") return runGenerate(flags);
    if (action === "install") return runInstall(flags);
    throw new UsageError(`unknown plugin action ${JSON.stringify(action)}`, "use `idp argocd plugin generate` or `idp argocd plugin install -o DIR --image IMAGE`");
  });
}

async function runGenerate(flags: PluginFlags): Promise<void> {
  const { generate } = await import("../../integrations/argocd/plugin/generate.ts");
  const { formatObjects } = await import("../../integrations/argocd/format.ts");
  const { remoteOptions } = await import("../common.ts");
  const { data, info } = await import("../output.ts");
  const result = await generate({ env: process.env, cwd: process.cwd(), remote: await remoteOptions(flags) });
  // Only objects on stdout: the repo-server treats every byte there as manifests.
  if (result.objects.length) data(formatObjects(result.objects, "yaml"));
  const from = result.packages.map((p) => `${p.name}@${p.version} (${p.digest.slice(0, 19)}…)`).join(", ") || "the source directory";
  info(`idp: rendered ${result.objects.length} objects from ${from}`);
}

async function runInstall(flags: PluginFlags): Promise<void> {
  const { pluginInstallFiles, writePluginInstall } = await import("../../integrations/argocd/plugin/install.ts");
  const { UsageError } = await import("../usage.ts");
  const { info } = await import("../output.ts");
  if (!flags.output) throw new UsageError("install needs -o DIR: where to write the plugin files");
  if (!flags.image) throw new UsageError("install needs --image: the sidecar image that holds idp", "build one FROM a small base with dist/idp copied in (see docs/argocd.md)");
  const transport = [flags.plainHttp ? "--plain-http" : undefined, flags.insecure ? "--insecure" : undefined].filter((f): f is string => f !== undefined);
  const files = pluginInstallFiles({
    image: flags.image,
    generateArgs: [...transport, ...list(flags.generateArg)],
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.command ? { command: flags.command } : {}),
    ...(flags.credentialsSecret ? { credentialsSecret: flags.credentialsSecret } : {}),
  });
  const written = writePluginInstall(flags.output, files);
  info(`wrote ${written.join(", ")}\nnext: kubectl apply -n ${flags.namespace ?? "argocd"} -f ${written[1]} && kubectl patch deployment argocd-repo-server -n ${flags.namespace ?? "argocd"} --patch-file ${written[2]}`);
}
