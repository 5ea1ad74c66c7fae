import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validateArgoObject } from "./crd.ts";
import { FIXTURES, yamlDocs } from "./setup.ts";

/**
 * The stand-in for the API server (no Kubernetes here) must itself be trustworthy: it accepts
 * real Argo CD objects and refuses typos, wrong types and missing required fields, as the
 * tests that lean on it assume.
 */

const app = () => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name: "ingress", namespace: "argocd" },
  spec: {
    project: "default",
    source: { repoURL: "oci://registry.example.com/platform/ingress", targetRevision: "1.2.0", path: "." },
    destination: { server: "https://kubernetes.default.svc", namespace: "ingress-nginx" },
  },
});

describe("Argo CD 3.6 CRD validation (stand-in for the API server)", () => {
  test("accepts every Application and ApplicationSet of the idpbuilder fixtures", () => {
    let count = 0;
    for (const tree of readdirSync(FIXTURES, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      for (const file of readdirSync(join(FIXTURES, tree.name)).filter((f) => f.endsWith(".yaml"))) {
        for (const doc of yamlDocs(readFileSync(join(FIXTURES, tree.name, file), "utf8"))) {
          expect({ file: `${tree.name}/${file}`, problems: validateArgoObject(doc) }).toEqual({ file: `${tree.name}/${file}`, problems: [] });
          count++;
        }
      }
    }
    expect(count).toBe(7);
  }, 60_000);

  test("refuses a misspelt field the API server would prune", () => {
    const typo = app() as any;
    typo.spec.source.targetRevison = "1.2.0";
    expect(validateArgoObject(typo)).toEqual(["/spec/source: must NOT have additional properties (targetRevison)"]);
  });

  test("refuses unknown metadata, wrong types and missing required fields", () => {
    const bad = app() as any;
    bad.metadata.lables = { a: "b" };
    bad.spec.destination.namespace = 3;
    delete bad.spec.source.repoURL;
    const problems = validateArgoObject(bad).join("\n");
    expect(problems).toContain("(lables)");
    expect(problems).toContain("/spec/destination/namespace: must be string");
    expect(problems).toContain("must have required property 'repoURL'");
  });

  test("keeps what the schema preserves (Helm valuesObject) and checks int-or-string", () => {
    const helm = app() as any;
    helm.spec.source.helm = { valuesObject: { anything: { at: ["all", 1] } } };
    expect(validateArgoObject(helm)).toEqual([]);
    helm.spec.syncPolicy = { retry: { limit: "three" } };
    expect(validateArgoObject(helm).join("\n")).toContain("/spec/syncPolicy/retry/limit");
  });

  test("checks ApplicationSets and AppProjects against their own CRDs", () => {
    const set = { apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", metadata: { name: "s" }, spec: { generators: [{ gti: {} }], template: { metadata: {}, spec: app().spec } } };
    expect(validateArgoObject(set).join("\n")).toContain("(gti)");
    const project = { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "platform", namespace: "argocd" }, spec: { sourceRepos: ["oci://registry.example.com/*"], destinations: [{ server: "https://kubernetes.default.svc", namespace: "*" }] } };
    expect(validateArgoObject(project)).toEqual([]);
    expect(validateArgoObject({ ...project, spec: { sourceRepo: ["x"] } })).toEqual(["/spec: must NOT have additional properties (sourceRepo)"]);
  }, 60_000);
});
