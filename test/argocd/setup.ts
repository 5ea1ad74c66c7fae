import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { idpBinary, REPO_ROOT, startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";

/**
 * Shared set-up for the Argo CD and migration tests: a private `idp serve` holding the three
 * example packages, and the compiled binary run with a private IDP_HOME and Docker config, so
 * no credential of the machine's user is ever read.
 */

export const EXAMPLES = join(REPO_ROOT, "examples/packages");
export const FIXTURES = join(REPO_ROOT, "test/fixtures/upstream/idpbuilder-custom-packages");

export interface World {
  server: IdpServer;
  home: string;
  env: Record<string, string | undefined>;
  idp(args: string[], options?: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string; allowFail?: boolean }): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Starts idp serve and pushes the example packages (platform-base ← ingress ← app-catalog). */
export async function startWorld(options: { push?: boolean } = {}): Promise<World> {
  const server = await startIdp();
  const home = tempDir("idp-argocd-home-");
  const env: Record<string, string | undefined> = { ...process.env, IDP_HOME: join(home.path, "idp"), DOCKER_CONFIG: join(home.path, "docker"), NO_COLOR: "1" };
  for (const key of Object.keys(env)) if (key.startsWith("IDP_REGISTRY_")) delete env[key];
  const idp: World["idp"] = (args, o = {}) =>
    run([idpBinary(), ...args], { env: { ...env, ...o.env }, ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.stdin !== undefined ? { stdin: o.stdin } : {}), allowFail: o.allowFail ?? false });
  if (options.push ?? true) {
    for (const pkg of ["platform-base", "ingress", "app-catalog"]) {
      await idp(["package", "push", join(EXAMPLES, pkg), `${server.host}/examples/${pkg}`, "--moving-tags", "--quiet"]);
    }
  }
  return {
    server,
    home: home.path,
    env,
    idp,
    async stop() {
      await server.stop();
      home.remove();
    },
  };
}

/** The documents of a YAML stream as data (empty documents dropped). */
export function yamlDocs(text: string): Record<string, any>[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`not YAML: ${d.errors[0]!.message}`);
      return d.toJS() as Record<string, any> | null;
    })
    .filter((d): d is Record<string, any> => d !== null && d !== undefined);
}
