import type { Body, FetchOptions, PushOptions, Target } from "../content/types.ts";
import { canDelete, canListReferrers, canListTags, canMount } from "../content/types.ts";
import { AuthError, NetworkError, NotFoundError, RegistryResponseError, UnsupportedError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";

/** A store a mirrored read may be served from, with a label for messages. */
export interface MirrorSource {
  label: string;
  target: Target;
}

/**
 * A repository read through mirrors: `resolve`, `fetch` and `exists` ask each mirror in order
 * and then the origin, moving on when a mirror lacks the content, refuses access or cannot be
 * reached (as containerd and podman treat mirrors); everything that writes (`push`, `tag`,
 * `delete`, `mount`) and the authoritative listings (`tags`, `referrers`) go to the origin.
 * Content is verified whichever store serves it, so a mirror can be trusted with nothing
 * but availability.
 *
 * @example
 * const repo = new MirroredTarget(origin, [{ label: "mirror.local", target: mirrorRepo }]);
 * await copy(repo, "v1", layout, "v1");
 */
export class MirroredTarget implements Target {
  readonly origin: Target;
  readonly mirrors: readonly MirrorSource[];
  /** Which source served each digest (or tag), for reports and tests. */
  readonly servedBy = new Map<string, string>();

  constructor(origin: Target, mirrors: readonly MirrorSource[]) {
    this.origin = origin;
    this.mirrors = mirrors;
  }

  async fetch(desc: Descriptor, options?: FetchOptions): Promise<ReadableStream<Uint8Array>> {
    return this.#first(desc.digest, (t) => t.fetch(desc, options));
  }

  async exists(desc: Descriptor): Promise<boolean> {
    for (const { target } of this.mirrors) if (await target.exists(desc).catch(() => false)) return true;
    return this.origin.exists(desc);
  }

  async resolve(reference: string): Promise<Descriptor> {
    return this.#first(reference, (t) => t.resolve(reference));
  }

  push(desc: Descriptor, body: Body, options?: PushOptions): Promise<void> {
    return this.origin.push(desc, body, options);
  }

  tag(desc: Descriptor, reference: string): Promise<void> {
    return this.origin.tag(desc, reference);
  }

  tags(options?: { last?: string; signal?: AbortSignal }): AsyncIterable<string> {
    if (!canListTags(this.origin)) throw new UnsupportedError("the origin cannot list tags");
    return this.origin.tags(options);
  }

  referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    if (!canListReferrers(this.origin)) throw new UnsupportedError("the origin cannot list referrers");
    return this.origin.referrers(desc, artifactType);
  }

  delete(desc: Descriptor): Promise<void> {
    if (!canDelete(this.origin)) throw new UnsupportedError("the origin cannot delete");
    return this.origin.delete(desc);
  }

  async mount(desc: Descriptor, fromRepository: string): Promise<boolean> {
    return canMount(this.origin) ? this.origin.mount(desc, fromRepository) : false;
  }

  async #first<T>(key: string, op: (target: Target) => Promise<T>): Promise<T> {
    for (const mirror of this.mirrors) {
      try {
        const out = await op(mirror.target);
        this.servedBy.set(key, mirror.label);
        return out;
      } catch (error) {
        if (!worthFallingBack(error)) throw error;
      }
    }
    const out = await op(this.origin);
    this.servedBy.set(key, "origin");
    return out;
  }
}

/** A mirror's failure that the origin may not share: absent, refused, down, or failing. */
function worthFallingBack(error: unknown): boolean {
  if (error instanceof NotFoundError || error instanceof AuthError || error instanceof NetworkError) return true;
  return error instanceof RegistryResponseError && (error.status >= 500 || error.status === 429);
}
