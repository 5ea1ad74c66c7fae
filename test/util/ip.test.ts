import { expect, test } from "bun:test";
import { isIP } from "node:net";
import { ipVersion } from "../../src/util/ip.ts";

test("ipVersion answers as node:net's isIP does", () => {
  const cases = ["127.0.0.1", "1.2.3.4", "256.1.1.1", "01.2.3.4", "::1", "::", "fe80::1", "2001:db8::1", "::ffff:127.0.0.1", "1:2:3:4:5:6:7:8", "1::2::3", "localhost", "a:b", "g::1", "1.2.3", "", ":::", "[::1]"];
  for (const c of cases) expect({ c, v: ipVersion(c) }).toEqual({ c, v: isIP(c) as 0 | 4 | 6 });
});
