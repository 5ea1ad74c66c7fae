import type { WritePolicy } from "../content/layout/files.ts";

/**
 * How the cache commits files: atomically (a rename of a complete file, so nothing partial is
 * ever visible) but without fsync. A cache holds copies: every blob is verified against its
 * digest when read and can be fetched again, so paying for durability on every pull (four
 * syncs per blob: file and directory, twice) buys nothing.
 */
export const CACHE_WRITE: WritePolicy = { durable: false };
