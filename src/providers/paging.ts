import { nextLink } from "../remote/listing.ts";

/**
 * Page-by-page walks over provider APIs, two styles: a `Link: <…>; rel="next"` header
 * (GitHub, Harbor) or numbered pages that end with a short page (Harbor, Gitea). A repeated
 * URL ends the walk, so a misbehaving API cannot loop.
 */

/**
 * The next page from a Link header, resolved against the request URL.
 *
 * @example url = linkNext(response, url); // undefined after the last page
 */
export function linkNext(response: Response, url: URL): URL | undefined {
  return nextLink(response.headers.get("link"), url);
}

/**
 * Numbered pages `1, 2, …` until a page is shorter than `size` (or `max` pages).
 *
 * @example for await (const items of numberedPages(100, (page) => fetchPage(page))) …
 */
export async function* numberedPages<T>(size: number, fetchPage: (page: number) => Promise<T[]>, max = 1000): AsyncIterable<T[]> {
  for (let page = 1; page <= max; page++) {
    const items = await fetchPage(page);
    if (items.length > 0) yield items;
    if (items.length < size) return;
  }
}
