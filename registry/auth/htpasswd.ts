import { createHmac, randomBytes } from "node:crypto";
import { InvalidInputError } from "../../src/errors/index.ts";

/** `$2a$`, `$2b$` or `$2y$`, a two-digit cost, then 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** bcrypt reads 72 bytes of a password; htpasswd -B drops the rest, so idp does too. */
const BCRYPT_MAX_BYTES = 72;
const MAX_USER_LENGTH = 256;
const MAX_PASSWORD_BYTES = 4096;
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * Reads an htpasswd file: `user:hash` lines, `#` comments and blank lines. Only bcrypt hashes
 * are accepted (`htpasswd -B`); any other line, a duplicate user or a cost above `maxCost`
 * stops the start with the file and line named. The hash itself is never echoed.
 *
 * @example
 * const users = parseHtpasswd("ann:$2y$05$…\n", "/etc/idp/htpasswd", 14);
 */
export function parseHtpasswd(text: string, source: string, maxCost: number): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${source} line ${i + 1}`;
    const colon = line.indexOf(":");
    const user = colon > 0 ? line.slice(0, colon) : "";
    const hash = line.slice(colon + 1);
    if (!user || /\s/.test(user) || user.length > MAX_USER_LENGTH) throw new InvalidInputError(`${where}: expected user:bcrypt-hash`);
    const match = BCRYPT.exec(hash);
    if (!match) {
      throw new InvalidInputError(`${where}: user ${JSON.stringify(user)} has a ${hashKind(hash)} hash; only bcrypt is accepted`, {
        hint: `recreate it with: htpasswd -B ${source} ${user}`,
      });
    }
    const cost = Number(match[1]);
    if (cost < 4 || cost > maxCost) {
      throw new InvalidInputError(`${where}: user ${JSON.stringify(user)} has bcrypt cost ${cost}; allowed is 4 to ${maxCost} (auth.maxBcryptCost)`, {
        hint: "every sign-in costs 2^cost rounds, so a high cost lets anyone load the CPU; recreate it with htpasswd -B -C 10",
      });
    }
    if (users.has(user)) throw new InvalidInputError(`${where}: user ${JSON.stringify(user)} is listed twice`);
    users.set(user, hash);
  }
  if (users.size === 0) throw new InvalidInputError(`${source}: no users (add one with htpasswd -B ${source} NAME)`);
  return users;
}

function hashKind(hash: string): string {
  if (hash.startsWith("$apr1$")) return "apr1-MD5";
  if (hash.startsWith("{SHA}")) return "SHA-1";
  if (/^\$[156]\$/.test(hash)) return "crypt";
  if (hash.startsWith("$2")) return "malformed bcrypt";
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return "DES crypt";
  return "plain-text or unknown";
}

/**
 * Checks user names and passwords against htpasswd entries. An unknown user costs as much as
 * a known one (a bcrypt check against a stand-in hash of the highest cost in the file), so
 * timing does not tell which users exist. Successful checks are remembered for a minute under
 * a keyed hash of user and password, so clients that send Basic credentials on every request
 * do not pay bcrypt each time; failures are never remembered.
 *
 * @example
 * const check = await PasswordCheck.fromFile("/etc/idp/htpasswd", 14);
 * await check.verify("ann", "s3cret") // true or false
 */
export class PasswordCheck {
  readonly users: ReadonlyMap<string, string>;
  #decoy: string;
  #key = randomBytes(32);
  #recent = new Map<string, number>();

  private constructor(users: Map<string, string>, decoy: string) {
    this.users = users;
    this.#decoy = decoy;
  }

  static async fromText(text: string, source: string, maxCost: number): Promise<PasswordCheck> {
    const users = parseHtpasswd(text, source, maxCost);
    const highest = Math.max(...[...users.values()].map((h) => Number(h.slice(4, 6))));
    const decoy = await Bun.password.hash(randomBytes(16).toString("hex"), { algorithm: "bcrypt", cost: highest });
    return new PasswordCheck(users, decoy);
  }

  static async fromFile(path: string, maxCost: number): Promise<PasswordCheck> {
    const text = await Bun.file(path).text().catch((error: NodeJS.ErrnoException) => {
      throw new InvalidInputError(`htpasswd ${path}: cannot read it (${error.code ?? error.message})`);
    });
    return PasswordCheck.fromText(text, path, maxCost);
  }

  async verify(user: string, password: string): Promise<boolean> {
    if (user.length > MAX_USER_LENGTH || password.length > MAX_PASSWORD_BYTES) return false;
    const key = createHmac("sha256", this.#key).update(user).update("\0").update(password).digest("base64");
    const until = this.#recent.get(key);
    if (until !== undefined && until > Date.now()) return true;
    const hash = this.users.get(user);
    const bytes = new TextEncoder().encode(password).subarray(0, BCRYPT_MAX_BYTES);
    const ok = await Bun.password.verify(bytes, hash ?? this.#decoy).catch(() => false);
    if (!ok || hash === undefined) return false;
    if (this.#recent.size >= CACHE_MAX) this.#recent.clear();
    this.#recent.set(key, Date.now() + CACHE_TTL_MS);
    return true;
  }
}
