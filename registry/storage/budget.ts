import { formatSize } from "../../src/config/units.ts";
import { RegistryError } from "../errors.ts";
import type { Driver } from "./driver.ts";
import { BLOBS, UPLOADS, uploadDataPath } from "./paths.ts";

/** How long a measurement of the storage is trusted before the next one. */
const REMEASURE_MS = 30_000;

/**
 * A limit on the bytes the storage root holds: the content store plus upload sessions. The
 * figure is measured by walking the store (at most every 30 seconds) plus what arrived since;
 * so it is approximate in a known way: never short by what this process received, and
 * corrected by the next walk for what gc removed.
 *
 * @example
 * const budget = new StorageBudget(driver, 50 * 1024 ** 3);
 * await budget.admit(chunk.byteLength); // 413 DENIED when the limit is reached
 */
export class StorageBudget {
  readonly maxBytes: number;
  #driver: Driver;
  #measured = 0;
  #since = 0;
  #at = 0;
  #measuring: Promise<void> | undefined;

  constructor(driver: Driver, maxBytes: number) {
    this.#driver = driver;
    this.maxBytes = maxBytes;
  }

  /** Counts `bytes` as stored and refuses them (413 DENIED) when they do not fit. */
  async admit(bytes: number): Promise<void> {
    if (Date.now() - this.#at > REMEASURE_MS) await this.#measure();
    if (this.#measured + this.#since + bytes > this.maxBytes) {
      // A walk may show that gc made room since the last one.
      await this.#measure();
      if (this.#measured + this.#since + bytes > this.maxBytes) {
        throw new RegistryError("DENIED", `the registry's storage limit of ${formatSize(this.maxBytes)} is reached`, {
          status: 413,
          detail: { limit: this.maxBytes, used: this.#measured + this.#since },
        });
      }
    }
    this.#since += bytes;
  }

  /** Bytes held now, by the last walk plus what arrived since. */
  get used(): number {
    return this.#measured + this.#since;
  }

  #measure(): Promise<void> {
    this.#measuring ??= (async () => {
      try {
        const bytes = (await sizeUnder(this.#driver, BLOBS, 2)) + (await uploadBytes(this.#driver));
        this.#measured = bytes;
        this.#since = 0;
        this.#at = Date.now();
      } finally {
        this.#measuring = undefined;
      }
    })();
    return this.#measuring;
  }
}

/** Sizes of the files `depth` levels below `dir` (blobs/<alg>/<hex>). */
async function sizeUnder(driver: Driver, dir: string, depth: number): Promise<number> {
  let total = 0;
  for (const name of await driver.list(dir)) {
    const path = `${dir}/${name}`;
    if (depth > 1) total += await sizeUnder(driver, path, depth - 1);
    else total += (await driver.stat(path))?.size ?? 0;
  }
  return total;
}

async function uploadBytes(driver: Driver): Promise<number> {
  let total = 0;
  for (const id of await driver.list(UPLOADS)) total += (await driver.stat(uploadDataPath(id)).catch(() => undefined))?.size ?? 0;
  return total;
}
