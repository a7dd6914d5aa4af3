// The construct tree of a stack's precomputed blocks, built in the jsii Node process in one call (stacks/tree.py).
//
// Made from Python, each node costs a jsii round trip to create it and two Python callbacks to render it:
// about 15 ms, so 1,000 services (13,000 resources) took 100 CPU s. Here one call makes every node, and no
// node calls back into Python:
//   - each resource is a plain cdktf TerraformResource at the construct path the fast path names, so cdktf
//     gives it the same logical ID, and Aspects, construct lookup, add_override and cross-stack references
//     work on it as on any resource;
//   - the stack's toTerraform lays each node's own block (metadata, meta-arguments, overrides, already
//     resolved by cdktf) over its precomputed attributes with cdktf's deepMerge: the order and the merge
//     rules of a typed resource's toTerraform (attributes first, then meta-arguments and overrides). The
//     attributes are already Terraform expressions, so they skip cdktf's token resolution, which was most
//     of the remaining cost.
"use strict";

const { TerraformOutput, TerraformResource, TerraformVariable } = require("cdktf");
const { deepMerge } = require("cdktf/lib/util");
const { Construct } = require("constructs");

const PRECOMPUTED = Symbol.for("stacks/tree.js precomputed nodes");

function scopeAt(stack, components) {
  let scope = stack;
  for (const component of components) {
    scope = scope.node.tryFindChild(component) ?? new Construct(scope, component);
  }
  return scope;
}

function renderWithAttributes(stack) {
  const render = Object.getPrototypeOf(stack).toTerraform;
  stack.toTerraform = function toTerraform() {
    const document = render.call(stack);
    for (const [node, attributes] of stack[PRECOMPUTED]) {
      const blocks = document.resource?.[node.terraformResourceType];
      const block = blocks?.[node.friendlyUniqueId];
      if (block !== undefined) {
        blocks[node.friendlyUniqueId] = deepMerge(structuredClone(attributes), block);
      }
    }
    return document;
  };
}

class PrecomputedTree {
  /**
   * Add `document`'s blocks (JSON of {resources: [[path components, type, attributes]], variables: {name: config},
   * outputs: {name: config}}) to `stack` as cdktf elements. A string, not an object: the kernel would otherwise
   * inspect every value on its way in (1.3 s at 1,000 services), and these are plain JSON.
   */
  static build(stack, document) {
    const blocks = JSON.parse(document);
    if (stack[PRECOMPUTED] === undefined) {
      stack[PRECOMPUTED] = [];
      renderWithAttributes(stack);
    }
    for (const [components, type, attributes] of blocks.resources) {
      const scope = scopeAt(stack, components.slice(0, -1));
      const node = new TerraformResource(scope, components[components.length - 1], { terraformResourceType: type });
      stack[PRECOMPUTED].push([node, attributes]);
    }
    for (const [name, config] of Object.entries(blocks.variables)) {
      new TerraformVariable(stack, name, config);
    }
    for (const [name, config] of Object.entries(blocks.outputs)) {
      new TerraformOutput(stack, name, config);
    }
  }
}

module.exports = { PrecomputedTree };
