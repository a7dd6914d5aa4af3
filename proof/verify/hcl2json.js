// Read .tf files as Terraform reads them: HashiCorp's HCL parser (Go, compiled to WebAssembly in
// @cdktf/hcl2json, installed with the cdktf CLI). One process for a whole batch: stdin is a JSON list of
// {"name": ..., "text": ...}; stdout is a JSON list of {"body": ...} or {"error": "<one line>"}, in order.
//
// After parsing: comments left inside "${...}" expressions are removed (the parser keeps an expression's
// source text), and jsonencode(<literal>) is replaced by the JSON text Terraform would produce (references
// inside it stay "${...}" strings, as in Terraform JSON).
"use strict";

const path = require("path");
const root = process.env.HCL2JSON_ROOT || path.join(__dirname, "..", "..");
const hcl = require(path.join(root, "node_modules", "@cdktf", "hcl2json"));

/** Remove HCL comments from the expression parts of a template string; literal text is left alone. */
function stripComments(text) {
  let out = "";
  const stack = ["template"]; // "template" (top level), "string" (quoted, inside an expression), "expr"
  let i = 0;
  while (i < text.length) {
    const mode = stack[stack.length - 1];
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (mode === "expr") {
      if (c === "#" || two === "//") {
        while (i < text.length && text[i] !== "\n") i++;
        continue;
      }
      if (two === "/*") {
        const end = text.indexOf("*/", i + 2);
        i = end === -1 ? text.length : end + 2;
        out += " ";
        continue;
      }
      if (c === '"') stack.push("string");
      else if (c === "{") stack.push("expr");
      else if (c === "}") stack.pop();
      out += c;
      i++;
      continue;
    }
    if (mode === "string" && c === "\\") {
      out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (mode === "string" && c === '"') {
      stack.pop();
      out += c;
      i++;
      continue;
    }
    if ((two === "${" || two === "%{") && text[i - 1] !== "$" && text[i - 1] !== "%") {
      stack.push("expr");
      out += two;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const JSONENCODE = /^\$\{\s*jsonencode\(([\s\S]*)\)\s*\}$/;

async function literal(text) {
  const match = JSONENCODE.exec(text);
  if (!match) return text;
  try {
    const parsed = await hcl.parse("jsonencode.tf", `v = ${match[1]}\n`);
    return Object.prototype.hasOwnProperty.call(parsed, "v") ? JSON.stringify(await clean(parsed.v)) : text;
  } catch (error) {
    return text; // not a literal the parser reads on its own: stays an expression (computed)
  }
}

async function clean(value) {
  if (typeof value === "string") return value.includes("${") ? literal(stripComments(value)) : value;
  if (Array.isArray(value)) return Promise.all(value.map(clean));
  if (value && typeof value === "object") {
    const result = {};
    for (const key of Object.keys(value)) result[key] = await clean(value[key]);
    return result;
  }
  return value;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const files = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const results = [];
  for (const file of files) {
    try {
      results.push({ body: await clean(await hcl.parse(file.name, file.text)) });
    } catch (error) {
      results.push({ error: String(error && error.message ? error.message : error).split("\n")[0] });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(`hcl2json: ${String(error).split("\n")[0]}\n`);
  process.exit(1);
});
