import type { Descriptor } from "../oci/schemas.ts";

/**
 * Hooks copy calls as it works, for progress bars and logs; copy itself never prints. Each
 * may be async (copy waits for it). Zero value: no hooks.
 */
export interface CopyHooks {
  /** Before a blob or manifest is transferred, or a mount is tried (not for skipped ones). */
  preCopy?(desc: Descriptor): void | Promise<void>;
  /** After it is stored, verified, in the destination. */
  postCopy?(desc: Descriptor): void | Promise<void>;
  /**
   * The destination had it already; nothing moved. For a manifest nothing below it is copied
   * either (with `referrers`, an index's manifests are still visited to find new referrers).
   */
  onSkipped?(desc: Descriptor): void | Promise<void>;
  /** The destination linked it from `fromRepository` of its registry; nothing moved (no postCopy). */
  onMounted?(desc: Descriptor, fromRepository: string): void | Promise<void>;
  /** Bytes of `desc` read from the source so far (a blob's transfer; may restart at 0 on retry). */
  onProgress?(desc: Descriptor, bytes: number): void;
}

/** Options of copyGraph; every field is optional and its zero value is documented. */
export interface CopyGraphOptions extends CopyHooks {
  /** Transfers (and existence checks) at once. Default 4. */
  concurrency?: number;
  /**
   * A repository of the destination's registry that holds the source's blobs (source and
   * destination share a registry): blobs are mounted from it instead of moved. Default: none.
   */
  mountFrom?: string;
  /**
   * Also copy the referrers of every manifest reached (signatures, SBOMs), and their
   * referrers in turn, when the source can list them. Default false.
   */
  referrers?: boolean;
  /** Stops the copy; transfers under way are abandoned and leave nothing visible. */
  signal?: AbortSignal;
}

/** Options of copy: copyGraph's, and how the root is found. */
export interface CopyOptions extends CopyGraphOptions {
  /**
   * Find the root by reading it, where the source can (a registry's GET by tag: one request
   * instead of a HEAD and then a GET). For copies that will almost always need the root's
   * bytes; when the destination has the root already the read was for nothing, and Docker Hub
   * counts a GET as a pull where a HEAD is free. Default false.
   */
  readRoot?: boolean;
}

export const DEFAULT_CONCURRENCY = 4;
