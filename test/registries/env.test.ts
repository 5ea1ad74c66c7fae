import { describe, expect, test } from "bun:test";
import { OCI_ENV, ociCacheDir, readOciEnv } from "../../src/config/env.ts";
import { parseAge, parseSize, formatSize } from "../../src/config/units.ts";
import { InvalidInputError } from "../../src/errors/index.ts";
import { retryPolicy } from "../../src/remote/retry/policy.ts";

/** The OCI environment variables: one table, both spellings, strict parsing. */
describe("IDP_OCI_* and IDPBUILDER_OCI_*", () => {
  test("every variable has its IDPBUILDER_ spelling, and IDP_ wins when both are set", () => {
    for (const row of OCI_ENV) expect<string>(row.legacy).toBe(row.name.replace(/^IDP_/, "IDPBUILDER_"));
    expect(readOciEnv({ IDPBUILDER_OCI_TIMEOUT: "60" }, "IDP_OCI_TIMEOUT")).toEqual({ name: "IDPBUILDER_OCI_TIMEOUT", value: "60" });
    expect(readOciEnv({ IDP_OCI_TIMEOUT: "30", IDPBUILDER_OCI_TIMEOUT: "60" }, "IDP_OCI_TIMEOUT")?.value).toBe("30");
    expect(readOciEnv({ IDP_OCI_TIMEOUT: "" }, "IDP_OCI_TIMEOUT")).toBeUndefined();
  });

  test("the retry policy reads the legacy spellings and names the one that was wrong", () => {
    expect(retryPolicy({ IDPBUILDER_OCI_RETRY_COUNT: "7", IDPBUILDER_OCI_TIMEOUT: "12" })).toMatchObject({ retries: 7, timeoutMs: 12_000 });
    expect(() => retryPolicy({ IDPBUILDER_OCI_TIMEOUT: "soon" })).toThrow(/IDPBUILDER_OCI_TIMEOUT="soon" is not a whole number/);
    expect(() => retryPolicy({ IDPBUILDER_OCI_TIMEOUT: "0" })).toThrow(/IDPBUILDER_OCI_TIMEOUT must be at least 1/);
  });

  test("the cache directory: IDP_OCI_CACHE_DIR, its legacy spelling, else under IDP_HOME", () => {
    expect(ociCacheDir({ IDP_HOME: "/h" })).toBe("/h/oci-cache");
    expect(ociCacheDir({ IDP_HOME: "/h", IDPBUILDER_OCI_CACHE_DIR: "/legacy" })).toBe("/legacy");
    expect(ociCacheDir({ IDP_HOME: "/h", IDP_OCI_CACHE_DIR: "/new", IDPBUILDER_OCI_CACHE_DIR: "/legacy" })).toBe("/new");
  });
});

describe("sizes and ages", () => {
  test("units parse strictly", () => {
    expect(parseSize("10GiB")).toBe(10 * 1024 ** 3);
    expect(parseSize("500MB")).toBe(500_000_000);
    expect(parseSize("1.5 kib")).toBe(1536);
    expect(parseSize("42")).toBe(42);
    expect(() => parseSize("10 gigs")).toThrow(InvalidInputError);
    expect(parseAge("1d12h")).toBe(36 * 3600_000);
    expect(parseAge("30m")).toBe(1800_000);
    expect(() => parseAge("7 days")).toThrow(InvalidInputError);
    expect(() => parseAge("")).toThrow(InvalidInputError);
    expect(formatSize(1536)).toBe("1.5 KiB");
  });
});
