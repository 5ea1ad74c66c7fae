import { resolve, sep } from "node:path";

/**
 * What the operating system refused (a full disk, a read-only or unwritable directory, a
 * file where a directory should be), said as one line naming the path, instead of an
 * "internal error": these are the machine's state, not idp's bugs.
 */

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  ENOTDIR: "a part of the path is a file, not a directory",
  EISDIR: "it is a directory",
  ENOENT: "no such file or directory",
  EEXIST: "it exists already",
  ENOTEMPTY: "the directory is not empty",
  EMFILE: "too many open files",
  ENFILE: "too many open files on the system",
  EIO: "input/output error",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many levels of symbolic links",
  EXDEV: "it is on another file system",
  EBUSY: "it is busy",
};

interface SystemErrorLike {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

function isSystemError(error: unknown): error is SystemErrorLike {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code in REASONS && typeof (error as { path?: unknown }).path === "string";
}

/**
 * The one-line message and hint for a file-system error, or undefined for anything else.
 * `cacheDir` is the local cache's directory: a failure inside it says how to get past it.
 *
 * @example describeSystemError(error, ociCacheDir()) // { message: "cannot write /x/y: permission denied (EACCES)", hint: … }
 */
export function describeSystemError(error: unknown, cacheDir?: string): { message: string; hint: string | undefined } | undefined {
  if (!isSystemError(error)) return undefined;
  // A rename names the temporary file first; the destination is what the user knows.
  const path = error.dest ?? error.path!;
  const verb = error.syscall === "open" ? "open" : READS.has(error.syscall ?? "") ? "read" : "write";
  const message = `cannot ${verb} ${path}: ${REASONS[error.code]} (${error.code})`;
  const inCache = cacheDir !== undefined && isInside(path, cacheDir);
  const hint = inCache
    ? `the local cache at ${cacheDir} cannot be used: repair or remove it, point IDP_OCI_CACHE_DIR elsewhere, or pass --no-cache`
    : error.code === "ENOSPC" || error.code === "EDQUOT"
      ? "free some space and run the command again; nothing partial was kept"
      : error.code === "EACCES" || error.code === "EPERM" || error.code === "EROFS"
        ? "choose a directory you can write to"
        : undefined;
  return { message, hint };
}

const READS = new Set(["read", "stat", "lstat", "fstat", "scandir", "readdir", "readlink", "access"]);

function isInside(path: string, dir: string): boolean {
  const root = resolve(dir);
  const full = resolve(path);
  return full === root || full.startsWith(root + sep);
}
