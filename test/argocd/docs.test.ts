import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/idp.ts";
import { isArgoObject, validateArgoObject } from "./crd.ts";
import { yamlDocs } from "./setup.ts";

/** The Argo CD YAML in the docs is held to the same CRD schemas as what idp renders. */
const DOCS = ["docs/argocd.md", "docs/migration/git-to-oci.md", "docs/migration/hybrid-setup.md"];

test("every Argo CD object in the Argo CD and migration docs passes the Argo CD 3.6 CRDs", () => {
  let count = 0;
  for (const doc of DOCS) {
    const text = readFileSync(join(REPO_ROOT, doc), "utf8");
    for (const block of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
      for (const object of yamlDocs(block[1]!).filter(isArgoObject)) {
        expect({ doc, name: object.metadata.name, problems: validateArgoObject(object) }).toEqual({ doc, name: object.metadata.name, problems: [] });
        count++;
      }
    }
  }
  expect(count).toBe(5);
}, 60_000);
