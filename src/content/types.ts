import type { Descriptor } from "../oci/schemas.ts";

/**
 * The content model every store of OCI content implements: a remote repository, an OCI image
 * layout directory, a read-only layout inside a tar, the local cache, memory. Small one-verb
 * interfaces, composed; algorithms (copy, push, pull, bundle, sync) are written once against
 * them and never ask which kind of store they hold.
 *
 * Contracts every implementation keeps (test/content/contract.ts runs them on each):
 * - `fetch` streams exactly `desc.size` bytes matching `desc.digest`, or the stream errors
 *   with DigestMismatchError; a missing blob is NotFoundError.
 * - `push` verifies size and digest while it writes and makes the content visible only when
 *   it is complete and verified; pushing content that exists already succeeds.
 * - Every error is one of src/errors' classes.
 */

/**
 * Bytes to push: a stream, small content already in memory, or a file on disk (a lazy Blob
 * such as `Bun.file(path)`, which a registry upload sends with sendfile).
 */
export type Body = ReadableStream<Uint8Array> | Uint8Array | Blob;

export interface FetchOptions {
  /** Start reading at this byte offset (to resume an interrupted transfer). */
  offset?: number;
  signal?: AbortSignal;
  /**
   * The consumer checks size and digest itself (copy, whose destination verifies what it
   * stores): a local store may then stream its file without hashing it, so the bytes are
   * hashed once per copy, not twice. Remote stores verify regardless.
   */
  unverified?: boolean;
}

export interface Fetcher {
  /** Streams the content `desc` describes, verified against its size and digest. */
  fetch(desc: Descriptor, options?: FetchOptions): Promise<ReadableStream<Uint8Array>>;
}

export interface PushOptions {
  signal?: AbortSignal;
  /** Bytes sent so far, for progress. */
  onProgress?: (bytes: number) => void;
  /**
   * The caller has just asked `exists` and the store said no: a store that would check
   * again before writing (a registry's HEAD) may skip that request.
   */
  knownAbsent?: boolean;
  /**
   * The body comes from a source that verifies what it streams (a registry download checks
   * size and digest and errors before it ends): a local store may then write it without
   * hashing it a second time, checking only the size. Copy sets it for such sources.
   */
  verified?: boolean;
}

export interface Pusher {
  /** Stores `body`, which must match `desc`. */
  push(desc: Descriptor, body: Body, options?: PushOptions): Promise<void>;
}

export interface ExistenceChecker {
  exists(desc: Descriptor): Promise<boolean>;
}

export interface Resolver {
  /** The descriptor of the manifest a tag or digest names; NotFoundError when none. */
  resolve(reference: string): Promise<Descriptor>;
}

export interface Tagger {
  /** Points `reference` (a tag) at the manifest `desc`, which must exist in the store. */
  tag(desc: Descriptor, reference: string): Promise<void>;
}

export interface TagLister {
  /** Tags in the store, in the store's order (registries: sorted). */
  tags(options?: { last?: string; signal?: AbortSignal }): AsyncIterable<string>;
}

export interface ReferrerLister {
  /** Manifests whose `subject` is `desc`, optionally only those of `artifactType`. */
  referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]>;
}

export interface Deleter {
  /** Deletes a manifest (and its tags) or a blob. */
  delete(desc: Descriptor): Promise<void>;
}

export interface Mounter {
  /**
   * Links a blob another repository of the same registry holds, without moving bytes.
   * Returns false when the registry declined (the caller then pushes normally).
   */
  mount(desc: Descriptor, fromRepository: string): Promise<boolean>;
}

/**
 * Stores a manifest and points a tag at it in one step (a registry's `PUT /manifests/<tag>`),
 * saving the round trips of push-then-tag. Optional: copy uses it for the root when present.
 */
export interface ReferencePusher {
  pushManifest(desc: Descriptor, body: Body, reference: string): Promise<void>;
}

/**
 * Resolves a tag or digest and reads the manifest in one step (a registry's `GET
 * /manifests/<ref>`, one request where resolve-then-fetch takes two), the bytes verified
 * against the returned descriptor. Optional: for callers that will read the manifest anyway.
 * (A HEAD stays the way to merely resolve: Docker Hub counts a GET as a pull.)
 */
export interface ReferenceFetcher {
  fetchReference(reference: string, signal?: AbortSignal): Promise<{ descriptor: Descriptor; bytes: Uint8Array }>;
}

/**
 * Content as a file on disk, for a copy whose destination verifies what it stores: a lazy
 * Blob (`Bun.file`, or a slice of a tar), not hashed on the way, so that a registry upload
 * can leave it to the kernel (sendfile). Undefined when the content is not in a file.
 * Optional: layouts, tars and staged pushes have it.
 */
export interface FileFetcher {
  fetchFile(desc: Descriptor): Promise<Blob | undefined>;
}

/**
 * A store whose fetch always verifies what it streams, whatever FetchOptions say (a remote
 * repository: the network is not trusted). Copy tells the destination so (PushOptions.verified).
 */
export interface VerifyingFetcher {
  readonly fetchesVerified: true;
}

/** Content that can only be read: a bundle's tar, a remote without push rights. */
export interface ReadOnlyStorage extends Fetcher, ExistenceChecker {}
export interface Storage extends ReadOnlyStorage, Pusher {}

export interface ReadOnlyTarget extends ReadOnlyStorage, Resolver {}

/** A store of OCI content with names: what copy reads from and writes to. */
export interface Target extends Storage, Resolver, Tagger {}

/** Type guards for the optional capabilities copy and friends use when present. */
export function canListTags(target: object): target is TagLister {
  return typeof (target as Partial<TagLister>).tags === "function";
}
export function canListReferrers(target: object): target is ReferrerLister {
  return typeof (target as Partial<ReferrerLister>).referrers === "function";
}
export function canDelete(target: object): target is Deleter {
  return typeof (target as Partial<Deleter>).delete === "function";
}
export function canMount(target: object): target is Mounter {
  return typeof (target as Partial<Mounter>).mount === "function";
}
export function canFetchReference(target: object): target is ReferenceFetcher {
  return typeof (target as Partial<ReferenceFetcher>).fetchReference === "function";
}
export function canFetchFile(target: object): target is FileFetcher {
  return typeof (target as Partial<FileFetcher>).fetchFile === "function";
}
export function fetchesVerified(target: object): target is VerifyingFetcher {
  return (target as Partial<VerifyingFetcher>).fetchesVerified === true;
}
export function canResolve(target: object): target is Resolver {
  return typeof (target as Partial<Resolver>).resolve === "function";
}
export function canPushReference(target: object): target is ReferencePusher {
  return typeof (target as Partial<ReferencePusher>).pushManifest === "function";
}
