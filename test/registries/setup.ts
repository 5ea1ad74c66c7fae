import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadRegistries } from "../../src/registries/file.ts";
import { registryContext } from "../../src/registries/context.ts";
import { requireRegistry } from "../../src/registries/resolve.ts";
import type { ProviderContext } from "../../src/providers/types.ts";
import type { RemoteOptions } from "../../src/remote/index.ts";
import { tempDir } from "../helpers/idp.ts";

/** A throwaway home for idp (and for the seed project, Docker and AWS), and its environment. */
export interface TestHome {
  path: string;
  env: Record<string, string | undefined>;
  /** Writes `$IDP_HOME/registries.yaml`. */
  writeConfig(yaml: string, mode?: number): string;
  /** Writes the seed project's `~/.idpbuilder/registries.yaml`. */
  writeSeed(yaml: string): string;
  remove(): void;
}

/**
 * @example const home = testHome({ AWS_ACCESS_KEY_ID: "AKIDEXAMPLE" });
 */
export function testHome(extra: Record<string, string> = {}): TestHome {
  const dir = tempDir("idp-registries-");
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: dir.path,
    IDP_HOME: join(dir.path, "idp"),
    IDPBUILDER_HOME: join(dir.path, "idpbuilder"),
    DOCKER_CONFIG: join(dir.path, "docker"),
    AWS_EC2_METADATA_DISABLED: "true",
    NO_COLOR: "1",
    ...extra,
  };
  const write = (dirPath: string, yaml: string, mode = 0o644) => {
    mkdirSync(dirPath, { recursive: true });
    const file = join(dirPath, "registries.yaml");
    writeFileSync(file, yaml, { mode });
    chmodSync(file, mode);
    return file;
  };
  return {
    path: dir.path,
    env,
    writeConfig: (yaml, mode) => write(env.IDP_HOME!, yaml, mode),
    writeSeed: (yaml) => write(env.IDPBUILDER_HOME!, yaml),
    remove: dir.remove,
  };
}

/** The provider context of a configured registry, as commands build it. */
export async function contextOf(home: TestHome, name: string, remote: RemoteOptions = {}): Promise<ProviderContext> {
  return registryContext(requireRegistry(await loadRegistries(home.env), name), { retries: 0, ...remote }, home.env);
}

/** Collects an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
