import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where each real peer lives once scripts/peers.sh has installed it. */
const PEERS = {
  "docker-registry": ["/usr/bin/docker-registry"],
  skopeo: ["/usr/bin/skopeo"],
  umoci: ["/usr/bin/umoci"],
  podman: ["/usr/bin/podman"],
  htpasswd: ["/usr/bin/htpasswd"],
  oras: [join(homedir(), "go/bin/oras"), "/usr/local/bin/oras"],
  crane: [join(homedir(), "go/bin/crane"), "/usr/local/bin/crane"],
  conformance: [join(homedir(), "go/bin/conformance"), "/usr/local/bin/conformance"],
} as const;

export type Peer = keyof typeof PEERS;

/**
 * The path of a real peer program. A missing peer fails the test with the command that
 * installs it: peers are never silently skipped.
 */
export function peer(name: Peer): string {
  const envPath = process.env[`IDP_PEER_${name.toUpperCase().replace(/-/g, "_")}`];
  if (envPath && existsSync(envPath)) return envPath;
  for (const candidate of PEERS[name]) if (existsSync(candidate)) return candidate;
  throw new Error(`peer ${name} is not installed; run \`bash scripts/peers.sh\` (it installs every test peer)`);
}
