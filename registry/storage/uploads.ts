import * as v from "valibot";
import { Digester, DIGEST_ALGORITHMS, type DigestAlgorithm } from "../../src/oci/digest.ts";
import { RegistryError } from "../errors.ts";
import type { Driver, Writer } from "./driver.ts";
import { KeyedMutex } from "../../src/util/keyed-mutex.ts";
import type { StorageBudget } from "./budget.ts";
import { UPLOADS, uploadDataPath, uploadDir, uploadInfoPath } from "./paths.ts";

/** Upload ids are server-made random UUIDs; anything else is unknown before any file access. */
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const InfoSchema = v.object({
  repository: v.string(),
  algorithm: v.picklist(DIGEST_ALGORITHMS),
  started: v.number(),
});
type UploadInfo = v.InferOutput<typeof InfoSchema>;

/** Where an upload session stands. */
export interface UploadStatus {
  id: string;
  repository: string;
  /** Bytes received so far. */
  size: number;
}

/** Byte range a chunk claims (inclusive), from Content-Range. */
export interface ChunkRange {
  start: number;
  end: number;
}

interface Live {
  info: UploadInfo;
  digester: Digester;
}

/**
 * Upload sessions: bytes append to `uploads/<id>/data` while they are hashed; a session
 * survives restarts (the hash is recomputed from the file when the server lost it).
 */
export class Uploads {
  #driver: Driver;
  #live = new Map<string, Live>();
  #locks = new KeyedMutex();
  #maxBlobBytes: number;
  #onBytes: ((bytes: number) => void) | undefined;

  #budget: StorageBudget | undefined;

  constructor(driver: Driver, options: { maxBlobBytes?: number; onBytes?: ((bytes: number) => void) | undefined; budget?: StorageBudget | undefined } = {}) {
    this.#onBytes = options.onBytes;
    this.#driver = driver;
    this.#maxBlobBytes = options.maxBlobBytes ?? Number.POSITIVE_INFINITY;
    this.#budget = options.budget;
  }

  /**
   * Opens a session. `persist: false` is for an upload that starts and ends in one request
   * (a monolithic POST): its state is not written down (a durable write per blob for a
   * session nobody can come back to), so a restart forgets it and gc purges its bytes.
   */
  async start(repository: string, algorithm: DigestAlgorithm = "sha256", options: { persist?: boolean } = {}): Promise<UploadStatus> {
    const id = crypto.randomUUID();
    const info: UploadInfo = { repository, algorithm, started: Date.now() };
    if (options.persist ?? true) await this.#driver.put(uploadInfoPath(id), JSON.stringify(info));
    this.#live.set(id, { info, digester: new Digester(algorithm) });
    return { id, repository, size: 0 };
  }

  async status(repository: string, id: string): Promise<UploadStatus> {
    await this.#session(repository, id);
    return { id, repository, size: (await this.#driver.stat(uploadDataPath(id)))?.size ?? 0 };
  }

  /**
   * Appends `body` to the session. With `range`, the chunk must start where the upload stands
   * (else 416 with the current Range) and be exactly as long as it claims.
   */
  async append(repository: string, id: string, body: ReadableStream<Uint8Array> | null, range?: ChunkRange): Promise<UploadStatus> {
    return this.#locks.run(id, async () => {
      const live = await this.#session(repository, id);
      const writer = await this.#driver.append(uploadDataPath(id));
      try {
        await this.#receive(live, writer, body, range, id);
      } finally {
        await writer.close();
      }
      return { id, repository, size: live.digester.size };
    });
  }

  /**
   * Receives the last chunk (if any), checks the whole upload against `digest` and makes the
   * data durable. Returns the path of the complete file, for the caller to link into place,
   * and the size; a mismatch ends the session with DIGEST_INVALID.
   */
  async finish(
    repository: string,
    id: string,
    digest: string,
    algorithm: DigestAlgorithm,
    body: ReadableStream<Uint8Array> | null,
    range?: ChunkRange,
  ): Promise<{ path: string; size: number }> {
    return this.#locks.run(id, async () => {
      const live = await this.#session(repository, id);
      const writer = await this.#driver.append(uploadDataPath(id));
      try {
        await this.#receive(live, writer, body, range, id);
        const actual = algorithm === live.digester.algorithm ? live.digester.digest() : await this.#rehash(id, algorithm);
        if (actual !== digest) {
          await writer.close();
          await this.#drop(id);
          throw new RegistryError("DIGEST_INVALID", `upload content has digest ${actual}, not ${digest}`, {
            detail: { expected: digest, actual },
          });
        }
        await writer.commit();
      } finally {
        await writer.close();
      }
      return { path: uploadDataPath(id), size: live.digester.size };
    });
  }

  /** Ends a session and removes its bytes. */
  async cancel(repository: string, id: string): Promise<void> {
    await this.#locks.run(id, async () => {
      await this.#session(repository, id);
      await this.#drop(id);
    });
  }

  /** Removes a finished session's leftovers. */
  async done(id: string): Promise<void> {
    await this.#drop(id);
  }

  /** Session ids on disk, for purging abandoned ones. */
  async list(): Promise<string[]> {
    return (await this.#driver.list(UPLOADS)).filter((name) => UPLOAD_ID.test(name));
  }

  async #receive(live: Live, writer: Writer, body: ReadableStream<Uint8Array> | null, range: ChunkRange | undefined, id: string): Promise<void> {
    const start = live.digester.size;
    if (range && range.start !== start) {
      throw new RegistryError("BLOB_UPLOAD_INVALID", `chunk starts at ${range.start}, upload is at ${start}`, {
        status: 416,
        headers: rangeHeaders(live.info.repository, id, start),
      });
    }
    if (!body) return;
    for await (const chunk of body) {
      if (live.digester.size + chunk.byteLength > this.#maxBlobBytes) {
        throw new RegistryError("SIZE_INVALID", `blob exceeds the limit of ${this.#maxBlobBytes} bytes`, { status: 413 });
      }
      if (this.#budget) await this.#budget.admit(chunk.byteLength);
      writer.write(chunk);
      live.digester.update(chunk);
      this.#onBytes?.(chunk.byteLength);
    }
    if (range && live.digester.size - start !== range.end - range.start + 1) {
      throw new RegistryError("BLOB_UPLOAD_INVALID", `chunk claimed ${range.start}-${range.end} but carried ${live.digester.size - start} bytes`, {
        status: 416,
        headers: rangeHeaders(live.info.repository, id, live.digester.size),
      });
    }
  }

  async #session(repository: string, id: string): Promise<Live> {
    const unknown = () => new RegistryError("BLOB_UPLOAD_UNKNOWN", `upload ${id.slice(0, 64)} is unknown in ${repository}`);
    if (!UPLOAD_ID.test(id)) throw unknown();
    let live = this.#live.get(id);
    if (!live) {
      const bytes = await this.#driver.read(uploadInfoPath(id));
      if (!bytes) throw unknown();
      const parsed = v.safeParse(InfoSchema, safeJson(bytes));
      if (!parsed.success) throw unknown();
      live = { info: parsed.output, digester: new Digester(parsed.output.algorithm) };
      await this.#hashExisting(id, live.digester);
      this.#live.set(id, live);
    }
    if (live.info.repository !== repository) throw unknown();
    return live;
  }

  async #hashExisting(id: string, digester: Digester): Promise<void> {
    const blob = await this.#driver.open(uploadDataPath(id));
    if (!blob) return;
    for await (const chunk of blob.stream()) digester.update(chunk);
  }

  async #rehash(id: string, algorithm: DigestAlgorithm): Promise<string> {
    const digester = new Digester(algorithm);
    await this.#hashExisting(id, digester);
    return digester.digest();
  }

  async #drop(id: string): Promise<void> {
    this.#live.delete(id);
    await this.#driver.remove(uploadDir(id));
  }
}

/** Headers that tell a client where an upload stands. */
export function rangeHeaders(repository: string, id: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${repository}/blobs/uploads/${id}`,
    Range: `0-${Math.max(size - 1, 0)}`,
    "Docker-Upload-UUID": id,
  };
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
