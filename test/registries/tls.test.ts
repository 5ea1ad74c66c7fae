import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { idpBinary } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { serve, type Served } from "../registry-ops/setup.ts";
import { testHome, type TestHome } from "./setup.ts";

/**
 * A registry entry's TLS settings reach the client: idp serve over HTTPS with a certificate
 * from a private test CA (made by openssl) is reachable by name when the entry names the CA
 * file or says insecure, and refused otherwise, with no flag on the command line.
 */
let home: TestHome;
let server: Served;
const p = (name: string) => join(home.path, name);

beforeAll(async () => {
  home = testHome();
  await run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "1", "-subj", "/CN=idp-test-ca"]);
  await run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=127.0.0.1"]);
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await run(["openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.pem"), "-days", "1", "-extfile", p("server.ext")]);
  server = await serve(["--listen", "127.0.0.1:{port}", "--storage", "memory", "--tls-cert", p("server.pem"), "--tls-key", p("server.key")]);
  writeFileSync(p("notes.txt"), "over TLS\n");
  home.writeConfig(
    [
      "registries:",
      `  trusted:\n    url: https://127.0.0.1:${server.port}\n    tls:\n      caFile: ${p("ca.pem")}`,
      `  careless:\n    url: https://127.0.0.1:${server.port}/v2/\n    tls:\n      insecure: true`,
      `  strict:\n    url: 127.0.0.1:${server.port}\n    tls:\n      plainHttp: false`,
    ].join("\n"),
  );
});
afterAll(async () => {
  await server?.stop();
  home?.remove();
});

const cli = (args: string[], allowFail = false) => run([idpBinary(), ...args, "--retries", "0"], { env: home.env, cwd: home.path, allowFail });

describe("TLS settings from registries.yaml", () => {
  test("caFile: the private CA is trusted for that registry; insecure: verification is skipped", async () => {
    const digest = (await cli(["push", "trusted/team/app:v1", "notes.txt", "-q"])).stdout.trim();
    expect((await cli(["resolve", "careless/team/app:v1"])).stdout.trim()).toBe(digest);
  });

  test("without either, the same registry is refused with a hint about the CA", async () => {
    const out = await cli(["resolve", "strict/team/app:v1"], true);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/hint: .*--ca-file/);
  });
});
