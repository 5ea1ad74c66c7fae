import type { CAC } from "cac";
import { list } from "../common.ts";

interface AddFlags {
  provider?: string;
  namespace?: string;
  description?: string;
  username?: string;
  passwordEnv?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  storeSecret?: boolean;
  helper?: string;
  aws?: boolean;
  awsProfile?: string;
  azureTokenEnv?: string;
  azureTenant?: string;
  insecure?: boolean;
  plainHttp?: boolean;
  caFile?: string;
  mirror?: string | string[];
  api?: string;
  region?: string;
  createRepositories?: boolean;
  listNamespace?: string | string[];
  default?: boolean;
  skipProbe?: boolean;
  force?: boolean;
  json?: boolean;
}

/** `idp registry add|list|show|remove|default`: named registries in registries.yaml. */
export function registerRegistry(cli: CAC): void {
  cli
    .command("registry add <name> <url>", "Name a registry (provider discovered from the URL, or by asking it) in registries.yaml")
    .option("--provider <kind>", "generic, dockerhub, harbor, gitea, ghcr, ecr or acr (default: discovered)")
    .option("--namespace <path>", "Prefix of one-component names: NAME/app means <host>/<namespace>/app")
    .option("--description <text>", "A note shown by `registry list`")
    .option("-u, --username <name>", "User name sent with the secret (not a secret itself)")
    .option("--password-env <VAR>", "Take the password or token from this environment variable when needed")
    .option("--password-file <file>", "Take the password or token from this file when needed")
    .option("--helper <name>", "Use the Docker credential helper docker-credential-<name> (e.g. ecr-login)")
    .option("--aws", "ECR: get the registry token from the AWS credential chain")
    .option("--aws-profile <name>", "ECR: the AWS profile to use (implies --aws)")
    .option("--azure-token-env <VAR>", "ACR: exchange the Azure AD access token in this variable for a registry token")
    .option("--azure-tenant <id>", "ACR: the tenant of that token")
    .option("--password-stdin", "Read a password to store in registries.yaml (needs --store-secret)")
    .option("--store-secret", "Really store the password in registries.yaml (the file becomes mode 0600)")
    .option("--insecure", "Skip TLS verification (and allow plain HTTP) for this registry")
    .option("--plain-http", "Talk plain HTTP to this registry")
    .option("--ca-file <file>", "Also trust the CA certificates in this PEM file")
    .option("--mirror <name-or-url>", "Read from this registry first (repeatable; pushes go to the URL)")
    .option("--api <url>", "Base URL of the provider's API when not the default")
    .option("--region <region>", "ECR: AWS region (default: from the host)")
    .option("--create-repositories", "ECR: create a missing repository before pushing")
    .option("--list-namespace <ns>", "Owner, organisation or project to list for search (repeatable)")
    .option("--default", "Make it the default registry (for references without a registry, and search)")
    .option("--skip-probe", "Do not contact the registry to find its provider")
    .option("--force", "Replace an entry of the same name")
    .option("--json", "Print the entry written as JSON")
    .example("idp registry add local http://127.0.0.1:5000 --default")
    .example("idp registry add corp https://harbor.example.com --namespace platform -u 'robot$platform+ci' --password-env CORP_TOKEN")
    .example("idp registry add prod 123456789012.dkr.ecr.eu-west-1.amazonaws.com --aws --create-repositories")
    .action(async (name: string, url: string, flags: AddFlags) => {
      const { addRegistry } = await import("../../registries/manage.ts");
      const { readSecret } = await import("../secret.ts");
      const { UsageError } = await import("../usage.ts");
      const { data, info, json, warn } = await import("../output.ts");
      if (flags.passwordStdin && !flags.storeSecret) {
        throw new UsageError("idp does not store passwords in registries.yaml unless told to", "use --password-env, --password-file, --helper or `idp login`; or add --store-secret to store it (file mode 0600)");
      }
      const password = flags.passwordStdin ? await readSecret(true, "") : undefined;
      const credentials = {
        ...(flags.username ? { username: flags.username } : {}),
        ...(password ? { password } : {}),
        ...(flags.passwordEnv ? { passwordEnv: flags.passwordEnv } : {}),
        ...(flags.passwordFile ? { passwordFile: flags.passwordFile } : {}),
        ...(flags.helper ? { helper: flags.helper } : {}),
        ...(flags.aws || flags.awsProfile ? { aws: flags.awsProfile ? { profile: flags.awsProfile } : {} } : {}),
        ...(flags.azureTokenEnv ? { azure: { tokenEnv: flags.azureTokenEnv, ...(flags.azureTenant ? { tenant: flags.azureTenant } : {}) } } : {}),
      };
      const result = await addRegistry({
        name,
        url,
        ...(flags.provider ? { provider: flags.provider as never } : {}),
        ...(flags.namespace ? { namespace: flags.namespace } : {}),
        ...(flags.description ? { description: flags.description } : {}),
        credentials,
        tls: { insecure: flags.insecure || undefined, plainHttp: flags.plainHttp || undefined, caFile: flags.caFile },
        mirrors: list(flags.mirror),
        options: {
          api: flags.api,
          region: flags.region,
          createRepositories: flags.createRepositories || undefined,
          ...(list(flags.listNamespace).length ? { namespaces: list(flags.listNamespace) } : {}),
        },
        makeDefault: flags.default ?? false,
        probe: !flags.skipProbe,
        force: flags.force ?? false,
      });
      if (result.warning) warn(result.warning);
      // The entry as written, minus a stored secret: output never carries one.
      const shown = result.entry.credentials?.password ? { ...result.entry, credentials: { ...result.entry.credentials, password: "(stored, not shown)" } } : result.entry;
      if (flags.json) return json({ name, ...shown, ...(result.discovery ? { discovery: result.discovery } : {}) });
      const how = result.discovery ? ` (${result.discovery.by === "default" ? "no provider recognised" : `found by ${result.discovery.by}: ${result.discovery.detail}`})` : "";
      info(`added registry ${name} → ${result.entry.url}, provider ${result.entry.provider ?? "generic"}${how}`);
      data(name);
    });

  cli
    .command("registry list", "List the named registries")
    .option("--json", "Print the registries as JSON")
    .example("idp registry list")
    .example("idp registry list --json | jq '.[].name'")
    .action(async (flags: { json?: boolean }) => {
      const { loadRegistries } = await import("../../registries/file.ts");
      const { describeRegistry } = await import("../../registries/manage.ts");
      const { data, info, json } = await import("../output.ts");
      const { table } = await import("../table.ts");
      const config = await loadRegistries();
      const rows = [...config.entries.keys()].sort().map((name) => describeRegistry(config, name));
      if (flags.json) return json(rows.map((r) => ({ name: r.name, url: r.url, host: r.host, provider: r.provider, namespace: r.namespace ?? null, default: r.default, definedIn: r.definedIn })));
      if (rows.length === 0) return info("no registries configured; add one with `idp registry add NAME URL`");
      data(table([["NAME", "URL", "PROVIDER", "NAMESPACE", "DESCRIPTION"], ...rows.map((r) => [`${r.name}${r.default ? " (default)" : ""}`, r.url, r.provider, r.namespace ?? "-", r.description ?? ""])]));
    });

  cli
    .command("registry show <name>", "Show a registry's settings, where its credentials come from, and what its provider supports")
    .option("--json", "Print as JSON")
    .example("idp registry show corp")
    .action(async (name: string, flags: { json?: boolean }) => {
      const { loadRegistries } = await import("../../registries/file.ts");
      const { describeRegistry } = await import("../../registries/manage.ts");
      const { data, json } = await import("../output.ts");
      const d = describeRegistry(await loadRegistries(), name);
      if (flags.json) return json(d);
      const lines = [
        `name:         ${d.name}${d.default ? " (default)" : ""}`,
        `url:          ${d.url}`,
        `provider:     ${d.providerTitle} (${d.provider}; ${d.providerFrom === "config" ? "set in the configuration" : d.providerFrom === "host" ? "known from the host" : "generic, nothing more specific known"})`,
        `namespace:    ${d.namespace ?? "-"}`,
        `credentials:  ${d.credentials.username ? `${d.credentials.username} with ` : ""}${d.credentials.source}`,
        `tls:          ${d.tls ? Object.entries(d.tls).map(([k, v]) => `${k}=${v}`).join(" ") : "default"}`,
        `mirrors:      ${d.mirrors.length ? d.mirrors.join(", ") : "-"}`,
        `defined in:   ${d.definedIn}`,
        `supports:     referrers API ${d.documented.referrersApi}; listing by ${d.documented.listing}; search by ${d.documented.search}`,
        `              ${d.documented.createsRepositoryOnPush ? "creates repositories on push" : "does not create repositories on push"}; ${d.documented.notes}`,
      ];
      data(lines.join("\n"));
    });

  cli
    .command("registry remove <name>", "Remove a named registry from registries.yaml")
    .example("idp registry remove old-mirror")
    .action(async (name: string) => {
      const { changeRegistries } = await import("../../registries/edit.ts");
      const { info } = await import("../output.ts");
      await changeRegistries({ kind: "remove", name });
      info(`removed registry ${name}`);
    });

  cli
    .command("registry default [name]", "Show or set the default registry (references without a registry, and search)")
    .option("--unset", "Have no default (references without a registry mean Docker Hub again)")
    .option("--json", "Print {default} as JSON")
    .example("idp registry default corp")
    .example("idp registry default --unset")
    .action(async (name: string | undefined, flags: { unset?: boolean; json?: boolean }) => {
      const { changeRegistries } = await import("../../registries/edit.ts");
      const { loadRegistries } = await import("../../registries/file.ts");
      const { data, info, json } = await import("../output.ts");
      if (name !== undefined || flags.unset) await changeRegistries({ kind: "default", name: flags.unset ? undefined : name });
      const current = (await loadRegistries()).default;
      if (flags.json) return json({ default: current ?? null });
      if (current) data(current);
      else info("no default registry: references without a registry go to Docker Hub");
    });
}
