import { assertTag } from "../oci/names.ts";
import { parseReference, type Reference } from "../oci/reference.ts";

/**
 * `repo:tag1,tag2` → the reference (with the first tag) and every tag, as oras writes
 * several tags at once. No tag means `latest`.
 *
 * @example splitTags("localhost:5000/app:1.2.3,1.2,latest").tags // ["1.2.3", "1.2", "latest"]
 */
export function splitTags(text: string): { ref: Reference; tags: string[] } {
  const slash = text.lastIndexOf("/");
  const colon = text.lastIndexOf(":");
  if (colon > slash && text.slice(colon + 1).includes(",")) {
    const tags = text.slice(colon + 1).split(",").map((t) => t.trim()).filter(Boolean);
    for (const tag of tags) assertTag(tag);
    const ref = parseReference(`${text.slice(0, colon)}:${tags[0]}`);
    return { ref, tags };
  }
  const ref = parseReference(text);
  return { ref, tags: ref.digest && !ref.tag ? [] : [ref.tag ?? "latest"] };
}
