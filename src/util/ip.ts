/**
 * 4 or 6 when `text` is an IPv4 or IPv6 address literal (no brackets), else 0. The same
 * answers as node:net's isIP, without loading node:net at start-up.
 *
 * @example ipVersion("127.0.0.1") // 4; ipVersion("::1") // 6; ipVersion("localhost") // 0
 */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(text)) return 4;
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return 0;
  try {
    return new URL(`http://[${text}]/`).hostname.length > 2 ? 6 : 0;
  } catch {
    return 0;
  }
}
