import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/idp.ts";
import { freePort } from "../helpers/process.ts";
import { makeImage, pushBlob, pushImage, randomContent } from "../helpers/oci.ts";
import { basic, writeHtpasswd } from "../registry-auth/setup.ts";
import { externalAddress, refusedStart, serve } from "./setup.ts";

/** Running `idp serve`: banner, health, metrics, access log and the refusals at startup. */
describe("operating idp serve", () => {
  test("--json prints one startup object saying where it listens and how it is set up", async () => {
    const s = await serve(["--listen", "127.0.0.1:{port}", "--storage", "memory", "--json"]);
    try {
      const banner = JSON.parse(s.stdout().trim().split("\n")[0]!);
      expect(banner).toMatchObject({ event: "listening", url: `http://127.0.0.1:${s.port}`, root: "memory", auth: "off", tls: "off", readOnly: false });
      expect(banner.metrics).toBe(`http://127.0.0.1:${s.port}/metrics (loopback clients only)`);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  test("/healthz, /readyz and /metrics: requests by route and status, bytes, uploads and storage", async () => {
    const dir = tempDir("idp-ops-");
    const s = await serve(["--listen", "127.0.0.1:{port}", "--root", dir.path]);
    const url = `http://127.0.0.1:${s.port}`;
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: "ok" });
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: "ready" });
      const image = await pushImage(url, "ops/app", "v1", makeImage({ layers: 1, layerSize: 10_000 }));
      for (let i = 0; i < 3; i++) await (await fetch(`${url}/v2/ops/app/blobs/${image.layers[0]!.digest}`)).arrayBuffer();
      await fetch(`${url}/v2/ops/app/manifests/nope`);
      const session = await fetch(`${url}/v2/ops/app/blobs/uploads/`, { method: "POST" });
      // A streamed PATCH (chunked, no Content-Length, as Docker sends) is counted too.
      const streamed = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(100_000));
          controller.close();
        },
      });
      const patch = await fetch(new URL(session.headers.get("location")!, url), { method: "PATCH", body: streamed });
      expect(patch.status).toBe(202);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('idp_registry_requests_total{route="blob",method="GET",status="200"} 3');
      expect(metrics).toContain('idp_registry_requests_total{route="manifest",method="GET",status="404"} 1');
      expect(metrics).toContain('idp_registry_requests_total{route="manifest",method="PUT",status="201"} 1');
      expect(metrics).toContain('idp_registry_sent_bytes_total{route="blob"} 30000');
      expect(Number(/idp_registry_received_bytes_total (\d+)/.exec(metrics)![1])).toBeGreaterThan(510_000);
      expect(metrics).toContain("idp_registry_upload_sessions 1");
      expect(metrics).toContain("idp_registry_repositories 1");
      expect(metrics).toContain("idp_registry_storage_blobs 3");
      expect(metrics).toMatch(/idp_registry_request_duration_seconds_bucket\{route="blob",le="\+Inf"\} 3/);
      expect(metrics).toMatch(/process_resident_memory_bytes \d+/);
    } finally {
      await s.stop();
      dir.remove();
    }
  });

  test("/metrics answers only loopback clients on the main listener (d-12), or everyone on --metrics-listen", async () => {
    const external = externalAddress();
    const s = await serve(["--listen", "0.0.0.0:{port}", "--storage", "memory", "--allow-anonymous"]);
    try {
      expect((await fetch(`http://127.0.0.1:${s.port}/metrics`)).status).toBe(200);
      const remote = await fetch(`http://${external}:${s.port}/metrics`);
      expect(remote.status).toBe(404);
      expect((await fetch(`http://${external}:${s.port}/healthz`)).status).toBe(200);
      expect(s.stderr()).toContain("warning  no authentication on 0.0.0.0:");
    } finally {
      await s.stop();
    }
    const metricsPort = freePort();
    const separate = await serve(["--listen", "127.0.0.1:{port}", "--storage", "memory", "--metrics-listen", `127.0.0.1:${metricsPort}`]);
    try {
      expect((await fetch(`http://127.0.0.1:${separate.port}/metrics`)).status).toBe(404);
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
      expect(separate.stderr()).toContain(`metrics  http://127.0.0.1:${metricsPort}/metrics`);
    } finally {
      await separate.stop();
    }
  });

  test("one JSON access-log line per request, with the user, and never a password, token or unknown query value", async () => {
    const dir = tempDir("idp-log-");
    const htpasswd = await writeHtpasswd(dir.path, { ann: "very-secret-password" });
    const s = await serve(["--listen", "127.0.0.1:{port}", "--storage", "memory", "--htpasswd", htpasswd, "--auth", "token"]);
    const url = `http://127.0.0.1:${s.port}`;
    let token = "";
    try {
      const tokenRes = await fetch(`${url}/auth/token?service=idp-registry&scope=repository:log/app:pull,push&account=ann&_state=SECRETSTATE`, { headers: basic("ann", "very-secret-password") });
      token = ((await tokenRes.json()) as { token: string }).token;
      const auth = { Authorization: `Bearer ${token}` };
      await fetch(`${url}/v2/log/app/tags/list?n=5&_state=OTHERSECRET`, { headers: auth });
      await fetch(`${url}/v2/log/app/manifests/v1`, { headers: basic("ann", "wrong-password") });
      await fetch(`${url}/v2/`);
    } finally {
      await s.stop();
      dir.remove();
    }
    const lines = s.stderr().split("\n").filter((l) => l.startsWith("{"));
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = entries.filter((e) => e.msg === "request");
    expect(requests.map((e) => `${e.method} ${e.route} ${e.status}`)).toEqual(["GET token 200", "GET tags 404", "GET manifest 401", "GET base 401"]);
    expect(requests[0]!.path).toBe("/auth/token?service=idp-registry&scope=repository%3Alog%2Fapp%3Apull%2Cpush");
    expect(requests[1]).toMatchObject({ path: "/v2/log/app/tags/list?n=5", user: "ann", address: "127.0.0.1" });
    const all = s.stderr();
    for (const secret of ["very-secret-password", "wrong-password", "SECRETSTATE", "OTHERSECRET", token.split(".")[2]!, "Bearer", "Basic YW5u"]) {
      expect(all).not.toContain(secret);
    }
  });

  test("refusals at startup are one line naming the cause: anonymous off loopback, bad htpasswd line, half TLS", async () => {
    const anonymous = await refusedStart(["--listen", "0.0.0.0:0", "--storage", "memory"]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain("refusing to serve 0.0.0.0:0 without authentication");
    expect(anonymous.stderr).toContain("--allow-anonymous");
    const dir = tempDir("idp-refuse-");
    try {
      const bad = join(dir.path, "htpasswd");
      writeFileSync(bad, "ann:$apr1$Qw6BSFsw$OxeDewkinerFYAAsLdYpu1\n");
      const md5 = await refusedStart(["--listen", "127.0.0.1:0", "--storage", "memory", "--htpasswd", bad]);
      expect(md5.code).toBe(1);
      expect(md5.stderr).toContain(`${bad} line 1: user "ann" has a apr1-MD5 hash; only bcrypt is accepted`);
      expect(md5.stderr).not.toContain("OxeDewkiner");
      const half = await refusedStart(["--listen", "127.0.0.1:0", "--storage", "memory", "--tls-cert", bad]);
      expect(half.stderr).toContain("tls.key (--tls-key) is missing");
      const tokenless = await refusedStart(["--listen", "127.0.0.1:0", "--storage", "memory", "--auth", "token"]);
      expect(tokenless.stderr).toContain("auth.type: token needs auth.htpasswd");
      for (const r of [half, tokenless]) expect(r.code).toBe(1);
    } finally {
      dir.remove();
    }
  });

  test("a slow upload in flight when SIGTERM arrives completes, then the server exits", async () => {
    const dir = tempDir("idp-stop-");
    const s = await serve(["--listen", "127.0.0.1:{port}", "--root", dir.path]);
    const url = `http://127.0.0.1:${s.port}`;
    try {
      await pushBlob(url, "warmup/x", randomContent(10));
      const post = await fetch(`${url}/v2/stop/slow/blobs/uploads/`, { method: "POST" });
      const location = new URL(post.headers.get("location")!, url);
      const blob = randomContent(64 * 1024);
      let sent = 0;
      let signalled = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= blob.size) return controller.close();
          if (sent === 16 * 1024 && !signalled) {
            signalled = true;
            s.proc.kill("SIGTERM");
          }
          await Bun.sleep(150);
          controller.enqueue(blob.bytes.slice(sent, sent + 8 * 1024));
          sent += 8 * 1024;
        },
      });
      location.searchParams.set("digest", blob.digest);
      const put = await fetch(location, { method: "PUT", body, headers: { "Content-Type": "application/octet-stream" } });
      expect(signalled).toBe(true);
      expect(put.status).toBe(201);
      expect(await s.proc.exited).toBe(0);
      expect(s.stderr()).toContain("stopping: finishing requests in flight");
      await expect(fetch(`${url}/v2/`)).rejects.toThrow();
    } finally {
      s.proc.kill("SIGKILL");
      dir.remove();
    }
  }, 30_000);
});
