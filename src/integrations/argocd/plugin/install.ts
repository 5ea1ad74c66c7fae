import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { stringify } from "yaml";
import { InvalidInputError } from "../../../errors/index.ts";
import { formatObjects } from "../format.ts";
import { DEFAULT_APP_NAMESPACE } from "../schema.ts";

/**
 * `idp argocd plugin install -o DIR`: the files that run `idp argocd plugin generate` as an
 * Argo CD Config Management Plugin sidecar of the repo-server:
 *
 * - `plugin.yaml`: the ConfigManagementPlugin (not a custom resource: the sidecar reads it
 *   from /home/argocd/cmp-server/config/plugin.yaml);
 * - `configmap.yaml`: a ConfigMap holding plugin.yaml, mounted into the sidecar;
 * - `repo-server-patch.yaml`: a strategic-merge patch adding the sidecar (argocd-cmp-server as
 *   entrypoint, user 999, its own /tmp) to the argocd-repo-server Deployment.
 *
 * No discovery rule is written: Applications choose the plugin by name
 * (`spec.source.plugin.name: idp`), so it never takes over other Applications.
 */

const Image = v.pipe(v.string(), v.minLength(1), v.regex(/^[^\s]+$/, "must be an image reference without spaces"));

export const PluginInstallSchema = v.strictObject({
  /** Sidecar image holding the idp binary. */
  image: Image,
  /** Plugin name Applications refer to. */
  name: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label")), "idp"),
  namespace: v.optional(v.string(), DEFAULT_APP_NAMESPACE),
  /** Path of idp inside the image. */
  command: v.optional(v.pipe(v.string(), v.minLength(1)), "idp"),
  /** Secret with IDP_REGISTRY_* variables for private registries (optional in the pod). */
  credentialsSecret: v.optional(v.string(), "idp-registry-credentials"),
  /** Extra `generate` flags: --plain-http, --insecure, --ca-file … */
  generateArgs: v.optional(v.array(v.string()), []),
});
export type PluginInstallOptions = v.InferInput<typeof PluginInstallSchema>;

/** The ConfigManagementPlugin document. */
export function pluginConfig(options: v.InferOutput<typeof PluginInstallSchema>): Record<string, unknown> {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "ConfigManagementPlugin",
    metadata: { name: options.name },
    spec: {
      generate: { command: [options.command], args: ["argocd", "plugin", "generate", ...options.generateArgs] },
      // Files keep their modes: nothing in a package is executed by the plugin.
      preserveFileMode: false,
    },
  };
}

/**
 * Builds the three files; `writePluginInstall` writes them.
 *
 * @example pluginInstallFiles({ image: "registry.example.com/platform/idp-cmp:0.1.0" })
 */
export function pluginInstallFiles(input: PluginInstallOptions): Record<string, string> {
  const parsed = v.safeParse(PluginInstallSchema, input);
  if (!parsed.success) throw new InvalidInputError(`plugin install: ${parsed.issues[0].message}`);
  const o = parsed.output;
  const configMapName = `${o.name}-cmp-plugin`;
  const plugin = stringify(pluginConfig(o), { lineWidth: 0 });
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: configMapName, namespace: o.namespace },
    data: { "plugin.yaml": plugin },
  };
  const patch = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "argocd-repo-server", namespace: o.namespace },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: `${o.name}-cmp`,
              image: o.image,
              command: ["/var/run/argocd/argocd-cmp-server"],
              securityContext: { runAsNonRoot: true, runAsUser: 999 },
              env: [
                { name: "IDP_HOME", value: "/tmp/idp" },
                { name: "IDP_OCI_CACHE_DIR", value: "/tmp/idp/cache" },
              ],
              envFrom: [{ secretRef: { name: o.credentialsSecret, optional: true } }],
              volumeMounts: [
                { mountPath: "/var/run/argocd", name: "var-files" },
                { mountPath: "/home/argocd/cmp-server/plugins", name: "plugins" },
                { mountPath: "/home/argocd/cmp-server/config/plugin.yaml", subPath: "plugin.yaml", name: configMapName },
                // Not the repo-server's /tmp: separate file systems limit path traversal.
                { mountPath: "/tmp", name: `${o.name}-cmp-tmp` },
              ],
            },
          ],
          volumes: [
            { name: configMapName, configMap: { name: configMapName } },
            { name: `${o.name}-cmp-tmp`, emptyDir: {} },
          ],
        },
      },
    },
  };
  return {
    "plugin.yaml": plugin,
    "configmap.yaml": formatObjects([configMap], "yaml"),
    "repo-server-patch.yaml": formatObjects([patch], "yaml"),
  };
}

/** Writes the files into `dir` (each atomically); returns their paths. */
export function writePluginInstall(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
    return path;
  });
}
