import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { writeHtpasswd } from "../registry-auth/setup.ts";
import { refusedStart, serve } from "./setup.ts";

/**
 * HTTPS with --tls-cert/--tls-key and client certificates with --tls-client-ca, against curl
 * and skopeo. Certificates come from openssl: a test CA, a server certificate for 127.0.0.1,
 * client certificates from that CA and from a stranger's CA.
 */
describe("TLS", () => {
  const dir = tempDir("idp-tls-");
  const p = (name: string) => join(dir.path, name);

  async function issue(name: string, ca: string, extension: string): Promise<void> {
    await run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`), "-subj", `/CN=${name}`]);
    writeFileSync(p(`${name}.ext`), `${extension}\n`);
    await run(["openssl", "x509", "-req", "-in", p(`${name}.csr`), "-CA", p(`${ca}.pem`), "-CAkey", p(`${ca}.key`), "-CAcreateserial", "-out", p(`${name}.pem`), "-days", "1", "-extfile", p(`${name}.ext`)]);
  }

  beforeAll(async () => {
    for (const ca of ["ca", "stranger"]) {
      await run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p(`${ca}.key`), "-out", p(`${ca}.pem`), "-days", "1", "-subj", `/CN=${ca}`]);
    }
    await issue("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
    await issue("client", "ca", "extendedKeyUsage=clientAuth");
    await issue("intruder", "stranger", "extendedKeyUsage=clientAuth");
  });
  afterAll(() => dir.remove());

  const curl = (url: string, ...extra: string[]) => run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", p("ca.pem"), ...extra, url], { allowFail: true });

  test("serves HTTPS with the given certificate; plain HTTP gets no registry answer", async () => {
    const s = await serve(["--listen", "127.0.0.1:{port}", "--storage", "memory", "--tls-cert", p("server.pem"), "--tls-key", p("server.key")]);
    try {
      expect(s.stderr()).toContain(`serving an OCI registry at https://127.0.0.1:${s.port}`);
      expect((await curl(`https://127.0.0.1:${s.port}/v2/`)).stdout).toBe("200");
      const plain = await run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${s.port}/v2/`], { allowFail: true });
      expect(plain.stdout).not.toBe("200");
    } finally {
      await s.stop();
    }
  });

  test("with a client CA, only clients holding a certificate from it get in", async () => {
    const s = await serve(["--listen", "127.0.0.1:{port}", "--storage", "memory", "--tls-cert", p("server.pem"), "--tls-key", p("server.key"), "--tls-client-ca", p("ca.pem")]);
    const url = `https://127.0.0.1:${s.port}/v2/`;
    try {
      expect(s.stderr()).toContain("tls      on, client certificates required");
      const none = await curl(url);
      expect(none.code).not.toBe(0);
      const stranger = await curl(url, "--cert", p("intruder.pem"), "--key", p("intruder.key"));
      expect(stranger.code).not.toBe(0);
      expect((await curl(url, "--cert", p("client.pem"), "--key", p("client.key"))).stdout).toBe("200");
    } finally {
      await s.stop();
    }
  });

  test("skopeo signs in over HTTPS, trusting the CA from a certs directory", async () => {
    const htpasswd = await writeHtpasswd(dir.path, { ann: "ann-secret" });
    const s = await serve(["--listen", "127.0.0.1:{port}", "--storage", "memory", "--tls-cert", p("server.pem"), "--tls-key", p("server.key"), "--htpasswd", htpasswd, "--auth", "token"]);
    try {
      const certs = p("certs.d");
      mkdirSync(certs, { recursive: true });
      copyFileSync(p("ca.pem"), join(certs, "ca.crt"));
      const layout = p("layout");
      await run([peer("umoci"), "init", "--layout", layout]);
      await run([peer("umoci"), "new", "--image", `${layout}:v1`]);
      const ref = `docker://127.0.0.1:${s.port}/tls/app:v1`;
      await run([peer("skopeo"), "copy", "--dest-cert-dir", certs, "--dest-creds", "ann:ann-secret", `oci:${layout}:v1`, ref]);
      const { stdout } = await run([peer("skopeo"), "inspect", "--cert-dir", certs, "--creds", "ann:ann-secret", ref]);
      expect(JSON.parse(stdout).Name).toBe(`127.0.0.1:${s.port}/tls/app`);
      const untrusted = await run([peer("skopeo"), "inspect", "--creds", "ann:ann-secret", ref], { allowFail: true });
      expect(untrusted.code).not.toBe(0);
    } finally {
      await s.stop();
    }
  });

  test("a key that does not belong to the certificate stops the start, naming both files", async () => {
    const res = await refusedStart(["--listen", "127.0.0.1:0", "--storage", "memory", "--tls-cert", p("server.pem"), "--tls-key", p("client.key")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`tls.key ${p("client.key")}: this key does not belong to the certificate in ${p("server.pem")}`);
  });
});
