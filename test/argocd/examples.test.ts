import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { idpBinary, REPO_ROOT, tempDir } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { isArgoObject, validateArgoObject } from "./crd.ts";
import { yamlDocs } from "./setup.ts";

/**
 * examples/argocd-apps/ is rendered from examples/packages by its render.sh. This regenerates
 * it into a scratch directory and compares, so the committed examples never drift from the
 * packages or the renderer; and every Argo CD object in it passes the Argo CD 3.6 CRDs.
 */

const EXAMPLES = join(REPO_ROOT, "examples/argocd-apps");
const HANDWRITTEN = new Set(["render.sh", "README.md"]);

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const full = join(d, e);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

test("examples/argocd-apps is what render.sh makes from the example packages, and valid", async () => {
  const scratch = tempDir("idp-argocd-examples-");
  try {
    const res = await run(["bash", join(EXAMPLES, "render.sh"), idpBinary(), scratch.path], { env: { ...process.env, NO_COLOR: "1" }, timeoutMs: 120_000 });
    expect(res.stdout).toContain("rendered into");
    const committed = files(EXAMPLES).filter((f) => !HANDWRITTEN.has(f));
    expect(committed).toEqual(files(scratch.path));
    // A difference here: run `bash examples/argocd-apps/render.sh` and commit the result.
    for (const f of committed) {
      expect({ file: f, text: readFileSync(join(EXAMPLES, f), "utf8") }).toEqual({ file: f, text: readFileSync(join(scratch.path, f), "utf8") });
    }
    let argo = 0;
    for (const f of committed.filter((f) => f.endsWith(".yaml"))) {
      for (const doc of yamlDocs(readFileSync(join(EXAMPLES, f), "utf8")).filter(isArgoObject)) {
        expect({ file: f, problems: validateArgoObject(doc) }).toEqual({ file: f, problems: [] });
        argo++;
      }
    }
    expect(argo).toBe(5);
  } finally {
    scratch.remove();
  }
}, 120_000);
