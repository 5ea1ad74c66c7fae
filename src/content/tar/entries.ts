import { open, type FileHandle } from "node:fs/promises";
import { Header, Pax } from "tar";
import { InvalidInputError, SizeLimitError } from "../../errors/index.ts";

/** Where a regular file's bytes lie inside a tar. */
export interface TarEntry {
  /** Offset of the first content byte. */
  offset: number;
  size: number;
}

const BLOCK = 512;
/** Largest pax or GNU long-name body read into memory (node-tar's own default too). */
const MAX_META_BYTES = 1024 * 1024;

/**
 * Indexes the regular files of an uncompressed tar by path, reading only the 512-byte
 * headers (and pax / GNU long-name bodies) and seeking over the content: a bundle of many
 * gigabytes is indexed in a few reads per entry. Hard links resolve to the entry they name.
 * Paths lose a leading `./` or `/`. Header decoding (octal and base-256 numbers, ustar
 * prefixes, checksums) is node-tar's `Header`; the walk is here because node-tar's parser
 * reads every byte of the archive, which is what this avoids.
 *
 * @example const entries = await indexTar("bundle.tar"); entries.get("index.json")
 */
export async function indexTar(path: string): Promise<Map<string, TarEntry>> {
  const handle = await open(path, "r");
  try {
    const { size: fileSize } = await handle.stat();
    return await walk(handle, fileSize, path);
  } finally {
    await handle.close();
  }
}

async function walk(handle: FileHandle, fileSize: number, where: string): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const block = Buffer.alloc(BLOCK);
  let position = 0;
  let ex: Pax | undefined;
  let gex: Pax | undefined;
  let longPath: string | undefined;
  let longLink: string | undefined;
  let ended = false;
  while (position + BLOCK <= fileSize) {
    await readExactly(handle, block, position, where);
    if (block.every((b) => b === 0)) {
      ended = true;
      break;
    }
    const header = new Header(block, 0, ex, gex);
    if (!header.cksumValid) throw new InvalidInputError(`${where} is not a valid tar: bad header checksum at byte ${position}`);
    const size = header.size ?? 0;
    const dataStart = position + BLOCK;
    if (dataStart + size > fileSize) throw new InvalidInputError(`${where} is truncated: an entry at byte ${position} runs past the end`);
    switch (header.type) {
      case "ExtendedHeader":
        ex = Pax.parse(await readMeta(handle, dataStart, size, where), ex, false);
        break;
      case "GlobalExtendedHeader":
        gex = Pax.parse(await readMeta(handle, dataStart, size, where), gex, true);
        break;
      case "NextFileHasLongPath":
      case "OldGnuLongPath":
        longPath = (await readMeta(handle, dataStart, size, where)).replace(/\0.*$/s, "");
        break;
      case "NextFileHasLongLinkpath":
        longLink = (await readMeta(handle, dataStart, size, where)).replace(/\0.*$/s, "");
        break;
      default: {
        // node-tar's Header lets the ustar name/prefix and link fields override pax values;
        // pax and GNU long names are authoritative, so they are taken first.
        const name = normalise(longPath ?? ex?.path ?? header.path ?? "");
        if (header.type === "File" || header.type === "OldFile" || header.type === "ContiguousFile") {
          entries.set(name, { offset: dataStart, size });
        } else if (header.type === "Link") {
          const target = entries.get(normalise(longLink ?? ex?.linkpath ?? header.linkpath ?? ""));
          if (target) entries.set(name, target);
        }
        ex = undefined;
        longPath = undefined;
        longLink = undefined;
      }
    }
    position = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  // Every tar writer ends the archive with zero blocks; a file that stops without them was
  // cut short, even when the cut happens to fall between two entries.
  if (!ended) throw new InvalidInputError(`${where} is truncated: it ends at byte ${fileSize} without the end-of-archive marker`);
  return entries;
}

async function readMeta(handle: FileHandle, position: number, size: number, where: string): Promise<string> {
  if (size > MAX_META_BYTES) throw new SizeLimitError(`${where}: a tar extended header at byte ${position} is larger than ${MAX_META_BYTES} bytes`);
  const buffer = Buffer.alloc(size);
  await readExactly(handle, buffer, position, where);
  return buffer.toString("utf8");
}

async function readExactly(handle: FileHandle, buffer: Buffer, position: number, where: string): Promise<void> {
  let done = 0;
  while (done < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, done, buffer.byteLength - done, position + done);
    if (bytesRead === 0) throw new InvalidInputError(`${where} is truncated at byte ${position + done}`);
    done += bytesRead;
  }
}

function normalise(path: string): string {
  return path.replace(/^(?:\.\/|\/)+/, "");
}
