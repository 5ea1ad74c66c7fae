import { describe, expect, test } from "bun:test";
import { InvalidReferenceError } from "../../src/errors/index.ts";
import { formatReference, parseReference, parseRegistryReference, referenceTarget } from "../../src/oci/reference.ts";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference: Docker Hub normalisation", () => {
  test.each([
    ["alpine", "docker.io", "library/alpine"],
    ["library/alpine", "docker.io", "library/alpine"],
    ["bitnami/redis", "docker.io", "bitnami/redis"],
    ["docker.io/alpine", "docker.io", "library/alpine"],
    ["index.docker.io/alpine", "docker.io", "library/alpine"],
    ["index.docker.io/bitnami/redis", "docker.io", "bitnami/redis"],
    ["localhost/app", "localhost", "app"],
    ["localhost:5000/team/app", "localhost:5000", "team/app"],
    ["127.0.0.1:5000/app", "127.0.0.1:5000", "app"],
    ["ghcr.io/org/sub/app", "ghcr.io", "org/sub/app"],
    ["registry:5000/app", "registry:5000", "app"],
    ["[::1]:5000/app", "[::1]:5000", "app"],
    ["Registry/app", "Registry", "app"],
    ["foo/bar/baz", "docker.io", "foo/bar/baz"],
  ])("%s → %s / %s", (input, registry, repository) => {
    const ref = parseReference(input);
    expect(ref).toEqual({ kind: "registry", registry, repository });
  });
});

describe("parseReference: tags and digests", () => {
  test("tag", () => {
    expect(parseReference("alpine:3.20")).toEqual({ kind: "registry", registry: "docker.io", repository: "library/alpine", tag: "3.20" });
  });
  test("port is not a tag", () => {
    expect(parseRegistryReference("localhost:5000/app")).toEqual({ kind: "registry", registry: "localhost:5000", repository: "app" });
    expect(parseRegistryReference("localhost:5000/app:v1").tag).toBe("v1");
  });
  test("digest pinning, with and without tag", () => {
    expect(parseRegistryReference(`ghcr.io/a/b@${D}`)).toEqual({ kind: "registry", registry: "ghcr.io", repository: "a/b", digest: D });
    expect(parseRegistryReference(`ghcr.io/a/b:v1@${D}`)).toEqual({ kind: "registry", registry: "ghcr.io", repository: "a/b", tag: "v1", digest: D });
  });
  test("referenceTarget prefers the digest, then the tag, then latest", () => {
    expect(referenceTarget(parseReference(`a:v1@${D}`))).toBe(D);
    expect(referenceTarget(parseReference("a:v1"))).toBe("v1");
    expect(referenceTarget(parseReference("a"))).toBe("latest");
  });
});

describe("parseReference: oci-layout", () => {
  test.each([
    ["oci-layout:out", { kind: "layout", path: "out" }],
    ["oci-layout:./out:v1", { kind: "layout", path: "./out", tag: "v1" }],
    ["oci-layout:/tmp/a:b/dir:v1", { kind: "layout", path: "/tmp/a:b/dir", tag: "v1" }],
    [`oci-layout:/data/x@${D}`, { kind: "layout", path: "/data/x", digest: D }],
    [`oci-layout:/data/x:v2@${D}`, { kind: "layout", path: "/data/x", tag: "v2", digest: D }],
    ["oci-layout:/home/me@host/dir", { kind: "layout", path: "/home/me@host/dir" }],
  ])("%s", (input, expected) => {
    expect(parseReference(input)).toEqual(expected as never);
  });
  test("rejects an empty path and a bad tag", () => {
    expect(() => parseReference("oci-layout:")).toThrow(InvalidReferenceError);
    expect(() => parseReference("oci-layout:dir:-bad")).toThrow(InvalidReferenceError);
    expect(() => parseReference("oci-layout:dir@sha256:123")).toThrow(InvalidReferenceError);
  });
});

describe("parseReference: errors say why, with a hint", () => {
  function failure(input: string): InvalidReferenceError {
    try {
      parseReference(input);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidReferenceError);
      expect((error as Error).message).not.toContain("\n");
      return error as InvalidReferenceError;
    }
    throw new Error(`${input} parsed`);
  }
  test("upper-case repository names suggest the lower-case name", () => {
    const error = failure("ghcr.io/Org/App:v1");
    expect(error.message).toContain("repository");
    expect(error.hint).toContain("ghcr.io/org/app");
    expect(failure("Alpine").hint).toContain("docker.io/library/alpine");
  });
  test.each([
    ["", "empty"],
    ["https://ghcr.io/a/b", "scheme"],
    ["a b", "white space"],
    ["ghcr.io/a:", "tag"],
    ["ghcr.io/a:.bad", "tag"],
    [`ghcr.io/a@sha256:${"A".repeat(64)}`, "digest"],
    ["ghcr.io/a@latest", "digest"],
    ["ghcr.io/", "repository"],
    ["ghcr.io/a//b", "repository"],
    ["ghcr.io/-a", "repository"],
    ["bad_host.io:5000/a", "host"],
    ["localhost:99999/a", "port"],
    [`ghcr.io/${"a".repeat(250)}`, "longer"],
  ])("%j fails mentioning %s", (input, word) => {
    expect(failure(input).message).toContain(word);
  });
  test("the scheme hint shows the reference without it", () => {
    expect(failure("https://ghcr.io/a/b").hint).toBe('drop the scheme: "ghcr.io/a/b"');
  });
});

describe("formatReference", () => {
  test.each([
    ["alpine", "docker.io/library/alpine", "alpine"],
    ["alpine:3", "docker.io/library/alpine:3", "alpine:3"],
    ["bitnami/redis", "docker.io/bitnami/redis", "bitnami/redis"],
    [`localhost:5000/a/b:v@${D}`, `localhost:5000/a/b:v@${D}`, `localhost:5000/a/b:v@${D}`],
    ["oci-layout:/x/y:v1", "oci-layout:/x/y:v1", "oci-layout:/x/y:v1"],
  ])("%s", (input, canonical, familiar) => {
    const ref = parseReference(input);
    expect(formatReference(ref)).toBe(canonical);
    expect(formatReference(ref, { familiar: true })).toBe(familiar);
    expect(parseReference(formatReference(ref))).toEqual(ref);
  });
});
