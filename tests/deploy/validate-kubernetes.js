#!/usr/bin/env node
// Validates the manifests of a kustomization directory offline:
//   node tests/deploy/validate-kubernetes.js deploy/kubernetes
// Each document is checked twice against the models of the npm packages
// kubernetes-models (the Kubernetes OpenAPI schemas) and
// @kubernetes-models/prometheus-operator (the ServiceMonitor and
// PrometheusRule CRD schemas):
//   1. their JSON-schema validators: required fields, types, enums, patterns;
//   2. the TypeScript compiler against their types, which rejects fields the
//      schema does not know (a misspelt readOnlyRootFilesystem would
//      otherwise pass, as the API server drops unknown fields).
// kustomization.yaml is checked apart: its resources exist, and every other
// manifest of the directory is one of them.
// Prints one line per document and exits 1 when anything is wrong.
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const ts = require("typescript");

// apiVersion/kind -> [module, class]
const MODELS = {
  "v1/Namespace": ["kubernetes-models/v1/Namespace", "Namespace"],
  "v1/ServiceAccount": ["kubernetes-models/v1/ServiceAccount", "ServiceAccount"],
  "v1/Service": ["kubernetes-models/v1/Service", "Service"],
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "ConfigMap"],
  "apps/v1/DaemonSet": ["kubernetes-models/apps/v1/DaemonSet", "DaemonSet"],
  "monitoring.coreos.com/v1/ServiceMonitor": [
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
    "ServiceMonitor",
  ],
  "monitoring.coreos.com/v1/PrometheusRule": [
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
    "PrometheusRule",
  ],
};
const KUSTOMIZATION = "kustomize.config.k8s.io/v1beta1/Kustomization";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: validate-kubernetes.js DIRECTORY");
  process.exit(2);
}
let failures = 0;
const fail = (where, message) => {
  failures++;
  console.log(`FAIL: ${where}: ${message}`);
};

// Every document of every *.yaml file.
const documents = [];
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
for (const file of files) {
  const parsed = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8"));
  parsed.forEach((doc, i) => {
    const where = parsed.length > 1 ? `${file}#${i + 1}` : file;
    if (doc.errors.length > 0) {
      fail(where, `not YAML: ${doc.errors[0].message}`);
      return;
    }
    const object = doc.toJS();
    if (object === null || typeof object !== "object") {
      fail(where, "not a mapping");
      return;
    }
    documents.push({ file, where, object });
  });
}

// 1. The JSON-schema validators.
const typed = [];
for (const { file, where, object } of documents) {
  const key = `${object.apiVersion}/${object.kind}`;
  if (key === KUSTOMIZATION) {
    checkKustomization(where, object);
    continue;
  }
  const model = MODELS[key];
  if (!model) {
    fail(where, `no schema for ${key} here: add it to MODELS`);
    continue;
  }
  const Model = require(model[0])[model[1]];
  try {
    new Model(object).validate();
  } catch (error) {
    fail(where, `${key}: ${error.message}`);
    continue;
  }
  if (!object.metadata || !object.metadata.name) {
    fail(where, `${key} has no metadata.name`);
    continue;
  }
  typed.push({ file, where, object: withoutNewerFields(where, key, object), model });
  console.log(`ok: ${where}: ${key} ${object.metadata.name} (schema)`);
}

// 2. The types, with every document as an object literal of its model's
// interface. The files live only in memory, beside node_modules so that the
// imports resolve.
const sources = new Map();
typed.forEach(({ where, object, model }, i) => {
  const name = path.join(__dirname, `manifest_${i}.ts`);
  const text =
    `// ${where}\n` +
    `import type { I${model[1]} } from "${model[0]}";\n` +
    `export const manifest: I${model[1]} = ${JSON.stringify(object, null, 2)};\n`;
  sources.set(name, { where, text });
});
if (sources.size > 0) {
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, version, ...rest) =>
    sources.has(name)
      ? ts.createSourceFile(name, sources.get(name).text, version)
      : getSourceFile.call(host, name, version, ...rest);
  const fileExists = host.fileExists;
  host.fileExists = (name) => sources.has(name) || fileExists.call(host, name);
  const program = ts.createProgram([...sources.keys()], options, host);
  const strict = new Set(sources.keys());
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const source = diagnostic.file && sources.get(diagnostic.file.fileName);
    let message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    // A type spelt out can run to kilobytes; its name is in the context.
    message = message.replace(/in type '(.{60}).*'\./s, "in type '$1...'.");
    if (!source) {
      fail("typescript", message);
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const context = diagnostic.file.text.split("\n")[line].trim();
    fail(source.where, `${message} (at ${context})`);
    strict.delete(diagnostic.file.fileName);
  }
  for (const name of strict) console.log(`ok: ${sources.get(name).where}: no unknown fields (types)`);
}

// Fields newer than the newest models that run on Debian 12's Node.js 18:
// checked here, then left out of the type check.
function withoutNewerFields(where, key, object) {
  if (key !== "monitoring.coreos.com/v1/PrometheusRule") return object;
  const copy = JSON.parse(JSON.stringify(object));
  for (const group of (copy.spec && copy.spec.groups) || []) {
    for (const rule of group.rules || []) {
      // keep_firing_for: prometheus-operator 0.66 and later.
      if (rule.keep_firing_for === undefined) continue;
      if (!/^(0|([0-9]+(ms|s|m|h|d|w|y))+)$/.test(rule.keep_firing_for)) {
        fail(where, `keep_firing_for ${JSON.stringify(rule.keep_firing_for)} is not a duration`);
      }
      delete rule.keep_firing_for;
    }
  }
  return copy;
}

function checkKustomization(where, object) {
  const resources = object.resources || [];
  const allowed = new Set(["apiVersion", "kind", "resources", "images", "namespace", "labels", "commonLabels"]);
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) fail(where, `unexpected key ${key} (allowed: ${[...allowed].join(", ")})`);
  }
  for (const resource of resources) {
    if (!fs.existsSync(path.join(dir, resource))) fail(where, `resource ${resource} does not exist`);
  }
  const listed = new Set(resources);
  for (const file of files) {
    if (file !== path.basename(where) && !listed.has(file)) fail(where, `${file} is not in resources`);
  }
  for (const image of object.images || []) {
    if (!image.name || !(image.newName || image.newTag)) fail(where, `images entry ${JSON.stringify(image)}`);
  }
  console.log(`ok: ${where}: ${resources.length} resources`);
}

if (failures > 0) {
  console.log(`validate-kubernetes: ${failures} failed`);
  process.exit(1);
}
console.log(`validate-kubernetes: ${documents.length} documents valid`);
