import { InvalidReferenceError } from "../errors/index.ts";

/** Repository name grammar of the distribution spec: lower-case path components. */
const COMPONENT = "[a-z0-9]+(?:(?:\\.|__|_|-+)[a-z0-9]+)*";
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/**
 * Longest repository name idp accepts. Clients cap `host[:port]/name` at 255 characters, so
 * longer names could never be pulled, and each name must fit one file name on disk.
 */
export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Throws InvalidReferenceError unless `name` is a valid repository name. */
export function assertRepositoryName(name: string): void {
  if (!isValidRepositoryName(name)) {
    const shown = name.length > 80 ? `${name.slice(0, 77)}...` : name;
    throw new InvalidReferenceError(`invalid repository name ${JSON.stringify(shown)}`, {
      hint:
        name.length > MAX_NAME_LENGTH
          ? `names are at most ${MAX_NAME_LENGTH} characters`
          : "names are lower-case letters and digits, separated by '.', '_', '__', '-' and '/'",
    });
  }
}

/** Throws InvalidReferenceError unless `tag` is a valid tag. */
export function assertTag(tag: string): void {
  if (!isValidTag(tag)) {
    const shown = tag.length > 80 ? `${tag.slice(0, 77)}...` : tag;
    throw new InvalidReferenceError(`invalid tag ${JSON.stringify(shown)}`, {
      hint: "tags are up to 128 of [A-Za-z0-9_.-] and may not start with '.' or '-'",
    });
  }
}
