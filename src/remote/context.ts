import { NetworkError } from "../errors/index.ts";
import { repositoryScope } from "./auth/scope.ts";
import { backoffDelay } from "./retry/policy.ts";
import type { RegistryClient } from "./transport/client.ts";

/** One repository on one registry: what every remote operation works on. */
export interface RepoContext {
  client: RegistryClient;
  repository: string;
}

export function pullScopes(ctx: RepoContext): string[] {
  return [repositoryScope(ctx.repository, "pull")];
}

export function pushScopes(ctx: RepoContext): string[] {
  return [repositoryScope(ctx.repository, "pull", "push")];
}

export function deleteScopes(ctx: RepoContext): string[] {
  return [repositoryScope(ctx.repository, "delete")];
}

/** `/v2/<name>/<rest>`: repository names are validated, so they need no escaping. */
export function repoPath(ctx: RepoContext, rest: string): string {
  return `/v2/${ctx.repository}/${rest}`;
}

/**
 * Reads one chunk, or rejects when nothing arrives for `ms`: a stalled connection is found by
 * silence, not by a total deadline.
 */
/** A reader result, as loose as the two reader typings Bun ships (web and node:stream/web). */
export type ReadResult = { done: true; value?: Uint8Array | undefined } | { done: false; value: Uint8Array };

export async function readIdle(reader: { read(): Promise<ReadResult> }, ms: number, onTimeout: () => Error): Promise<ReadResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs an idempotent operation again when it failed on the network (the sender retries only
 * until a response starts; this covers bodies that break off while being read).
 */
export async function retrying<T>(ctx: RepoContext, operation: () => Promise<T>): Promise<T> {
  const policy = ctx.client.sender.options.policy;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= policy.retries) throw error;
      await Bun.sleep(backoffDelay(policy, attempt + 1));
    }
  }
}
