import type { CAC } from "cac";
import { list, withRemoteFlags, type RemoteFlags } from "../common.ts";

interface AppFlags extends RemoteFlags {
  name?: string;
  namespace?: string;
  destNamespace?: string;
  destServer?: string;
  project?: string;
  autoSync?: boolean;
  revision?: string;
  gitSource?: string | string[];
  gitRef?: string | string[];
  values?: string | string[];
  withoutDeps?: boolean;
  repository?: string;
  argocdRegistry?: string;
  prerelease?: boolean;
  output?: string;
}

interface SecretFlags extends RemoteFlags {
  repository?: string | string[];
  namespace?: string;
  name?: string;
  project?: string;
  file?: string;
  stdout?: boolean;
  output?: string;
  credentialsFrom?: string;
  username?: string;
  passwordStdin?: boolean;
}

/** `idp argocd app` and `idp argocd repo-secret`: Argo CD objects for pushed packages. */
export function registerArgocd(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("argocd app <source>", "Render Argo CD Applications (native OCI source) for a pushed package and, in sync waves, each package it depends on")
      .option("--name <name>", "Name of the package's Application (default: the package name)")
      .option("--namespace <ns>", "Namespace the Application objects live in (default argocd)")
      .option("--dest-namespace <ns>", "Destination namespace of the package (default: argocd.namespace in its idp.yaml)")
      .option("--dest-server <url>", "Destination cluster API URL (default: the package's, else https://kubernetes.default.svc)")
      .option("--project <name>", "Argo CD project (default: the package's, else default)")
      .option("--auto-sync", "Automated sync with prune and self-heal")
      .option("--revision <rev>", "targetRevision: version (the exact version, default), digest, or a semver range like ^1.2.0")
      .option("--git-source <url@rev[:path]>", "Add a git source (repeatable); the Application then uses spec.sources")
      .option("--git-ref <name=url@rev>", "Add a git ref source whose files --values can name as $name/… (repeatable)")
      .option("--values <file>", "Helm values file for the package, e.g. $values/envs/prod.yaml (repeatable)")
      .option("--without-deps", "Render only the package, not its dependencies")
      .option("--repository <repo>", "For a package directory: where the package itself was pushed (else only its locked dependencies)")
      .option("--argocd-registry <host>", "The registry as Argo CD reaches it, when it differs (e.g. kind-registry:5000 in-cluster)")
      .option("--prerelease", "Consider prerelease versions")
      .option("-o, --output <format>", "yaml (default) or json")
      .example("idp argocd app 127.0.0.1:5000/examples/app-catalog:0.3.0 --auto-sync")
      .example("idp argocd app registry.example.com/platform/ingress --revision '^1.2.0' --without-deps -o json")
      .example("idp argocd app registry.example.com/platform/ingress:1.2.0 --git-ref values=https://git.example.com/platform/values.git@main --values '$values/ingress/prod.yaml'")
      .example("idp argocd app ./deploy   # a package directory with idp.lock: its locked dependencies"),
  ).action(async (source: string, flags: AppFlags) => {
    const argocd = await import("../../integrations/argocd/index.ts");
    const { remoteOptions } = await import("../common.ts");
    const { data, info } = await import("../output.ts");
    const format = argocd.objectFormat(flags.output);
    const revision = flags.revision === undefined || flags.revision === "version" ? "version" : flags.revision === "digest" ? "digest" : { range: await checkedRange(flags.revision) };
    const gitSources = [...list(flags.gitSource).map((s) => argocd.parseGitSource(s)), ...list(flags.gitRef).map((s) => argocd.parseGitRef(s))];
    const { applications, rootIncluded } = await argocd.renderApplications(source, {
      remote: await remoteOptions(flags),
      revision,
      gitSources,
      valueFiles: list(flags.values),
      noDeps: flags.withoutDeps ?? false,
      includePrerelease: flags.prerelease ?? false,
      ...pick(flags, ["name", "namespace", "destNamespace", "destServer", "project", "repository", "argocdRegistry"]),
      ...(flags.autoSync ? { autoSync: true } : {}),
    });
    if (!rootIncluded) info(`${source}: rendering its locked dependencies only; pass --repository to include the package itself`);
    data(argocd.formatObjects(applications, format));
  });

  withRemoteFlags(
    cli
      .command("argocd repo-secret <registry>", "Render the Argo CD repository Secrets for an OCI registry, with credentials from idp's credential store")
      .option("--file <path>", "Write the Secrets to this file (mode 0600)")
      .option("--stdout", "Print the Secrets on stdout (they hold credentials: pipe them, e.g. into kubectl apply -f -)")
      .option("--repository <name>", "Also a repository Secret for this repository under REGISTRY (repeatable)")
      .option("--namespace <ns>", "Namespace Argo CD runs in (default argocd)")
      .option("--name <name>", "Name of the credential template Secret (default idp-oci-<registry>)")
      .option("--project <name>", "Scope the repositories to this Argo CD project")
      .option("--credentials-from <host>", "Take the credentials idp has for this host (when Argo CD reaches the registry by another name)")
      .option("-u, --username <name>", "Use this user name instead of the stored credentials (with --password-stdin)")
      .option("--password-stdin", "Read the password from standard input")
      .option("-o, --output <format>", "yaml (default) or json")
      .example("idp argocd repo-secret registry.example.com/platform --file argocd-repo.yaml")
      .example("idp argocd repo-secret 127.0.0.1:5000 --stdout | kubectl apply -n argocd -f -")
      .example("echo \"$TOKEN\" | idp argocd repo-secret ghcr.io/acme -u ci --password-stdin --file repo.yaml"),
  ).action(async (registry: string, flags: SecretFlags) => {
    const { repoSecrets, writeSecretFile } = await import("../../integrations/argocd/repo-secret.ts");
    const { formatObjects, objectFormat } = await import("../../integrations/argocd/format.ts");
    const { defaultCredentials } = await import("../../remote/index.ts");
    const { UsageError } = await import("../usage.ts");
    const { data, info } = await import("../output.ts");
    if (!flags.file && !flags.stdout) {
      throw new UsageError("refusing to print Secrets with credentials to the terminal", "pass --file PATH (written with mode 0600) or --stdout to pipe them");
    }
    if (flags.file && flags.stdout) throw new UsageError("give either --file or --stdout, not both");
    const format = objectFormat(flags.output);
    const host = flags.credentialsFrom ?? registry.replace(/^oci:\/\//, "").split("/")[0]!;
    let credential: import("../../remote/index.ts").Credential | undefined;
    if (flags.username || flags.passwordStdin) {
      if (!flags.username || !flags.passwordStdin) throw new UsageError("--username and --password-stdin go together");
      const { readSecret } = await import("../secret.ts");
      credential = { username: flags.username, password: await readSecret(true, "") };
    } else {
      credential = await defaultCredentials().get(host);
    }
    const secrets = repoSecrets({
      registry,
      repositories: list(flags.repository),
      ...(credential ? { credential } : {}),
      ...pick(flags, ["namespace", "name", "project", "plainHttp", "insecure"]),
    });
    const text = formatObjects(secrets, format);
    const withCredentials = secrets.some((s) => s.stringData.password !== undefined);
    if (flags.file) {
      writeSecretFile(flags.file, text);
      info(`wrote ${secrets.length} Secret${secrets.length === 1 ? "" : "s"} to ${flags.file} (mode 0600), ${withCredentials ? `with the credentials for ${host}` : `without credentials: idp has none for ${host}`}`);
    } else {
      if (!withCredentials) info(`no credentials for ${host}: the Secret lets Argo CD read it anonymously`);
      data(text);
    }
  });
}

/** The defined flags among `keys`, for option objects whose fields must be absent, not undefined. */
function pick<T extends object, K extends keyof T>(flags: T, keys: K[]): { [P in K]?: NonNullable<T[P]> } {
  const out: { [P in K]?: NonNullable<T[P]> } = {};
  for (const key of keys) if (flags[key] !== undefined && flags[key] !== null) out[key] = flags[key] as NonNullable<T[K]>;
  return out;
}

async function checkedRange(range: string): Promise<string> {
  const semver = (await import("semver")).default;
  const { UsageError } = await import("../usage.ts");
  if (semver.validRange(range) === null) throw new UsageError(`--revision ${JSON.stringify(range)}: not version, digest nor a semver range`, "e.g. --revision '^1.2.0'");
  return range;
}
