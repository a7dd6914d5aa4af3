// DOT on stdin -> SVG on stdout, with Graphviz compiled to WebAssembly (pinned in package.json).
import { Graphviz } from "@hpcc-js/wasm-graphviz";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const graphviz = await Graphviz.load();
// An optional format argument ("json": the layout with coordinates, for the layout tests); SVG by default.
process.stdout.write(graphviz.dot(Buffer.concat(chunks).toString("utf8"), process.argv[2] || "svg"));
