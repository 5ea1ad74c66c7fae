import { open } from "node:fs/promises";
import { Header, Pax } from "tar";
import { InvalidInputError } from "../errors/index.ts";
import type { PackEntry } from "./walk.ts";

const BLOCK = 512;
const ZEROS = new Uint8Array(BLOCK * 2);
/** Bytes read from a file at a time. */
const READ_SIZE = 256 * 1024;

/**
 * The bytes of a tar of `entries`, produced as they are read (one file chunk in memory at a
 * time). Headers are ustar, encoded by node-tar's `Header`, with a pax header first when a
 * field does not fit (long or non-ASCII names, huge sizes). Owner is 0:0 with empty names,
 * and every time is `mtime`: nothing of the machine that packed leaks into the bytes.
 *
 * @example for await (const chunk of tarBytes(walk(sources), new Date(0))) sink.write(chunk);
 */
export async function* tarBytes(entries: AsyncIterable<PackEntry>, mtime: Date): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    yield* headerFor(entry, mtime);
    if (entry.type === "file" && entry.size > 0) {
      yield* fileBytes(entry.source!, entry.size);
      const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (pad > 0) yield ZEROS.subarray(0, pad);
    }
  }
  yield ZEROS;
}

function headerFor(entry: PackEntry, mtime: Date): Uint8Array[] {
  const fields = {
    path: entry.name,
    mode: entry.mode,
    uid: 0,
    gid: 0,
    size: entry.type === "file" ? entry.size : 0,
    mtime,
    type: entry.type === "file" ? "File" : entry.type === "directory" ? "Directory" : "SymbolicLink",
    linkpath: entry.linkTarget ?? "",
    uname: "",
    gname: "",
    devmaj: 0,
    devmin: 0,
  } as const;
  const header = new Header(fields);
  const block = Buffer.alloc(BLOCK);
  if (!header.encode(block)) return [block];
  const pax = new Pax({ path: entry.name, mtime, ...(entry.linkTarget ? { linkpath: entry.linkTarget } : {}), ...(fields.size > 0o77777777777 ? { size: fields.size } : {}) });
  return [pax.encode(), block];
}

/** Exactly `size` bytes of the file at `path`; a file that changed size while packed fails. */
async function* fileBytes(path: string, size: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r");
  try {
    let done = 0;
    while (done < size) {
      const buffer = new Uint8Array(Math.min(READ_SIZE, size - done));
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, done);
      if (bytesRead === 0) throw new InvalidInputError(`${path} shrank while it was being packed`, { hint: "pack files that are not being written to" });
      done += bytesRead;
      yield bytesRead === buffer.byteLength ? buffer : buffer.subarray(0, bytesRead);
    }
    const probe = new Uint8Array(1);
    if ((await handle.read(probe, 0, 1, size)).bytesRead > 0) {
      throw new InvalidInputError(`${path} grew while it was being packed`, { hint: "pack files that are not being written to" });
    }
  } finally {
    await handle.close();
  }
}
