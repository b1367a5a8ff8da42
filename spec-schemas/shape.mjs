// Derives, from the schemas, which field names the spec defines at each place in a document.
// The schemas accept any extra property (the spec's extensibility rule), so ajv cannot report a
// misspelled field; this "shape" lets the validator warn about them and suggest the right name.
//
// Shape = { f?: { [field]: Shape }, i?: Shape, m?: Shape }
//   f: the object's known fields (any other key is unknown)
//   i: the shape of every array item
//   m: the shape of every value of a map (object with free keys: annotations, sysctl, ...)
// An empty shape means "nothing to check here".

function resolvePointer(doc, pointer) {
  let node = doc;
  for (const part of pointer.split('/').slice(1)) node = node?.[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`unresolvable pointer ${pointer}`);
  return node;
}

export function buildShape(schemas, entryFile) {
  const memo = new Map();

  function deref(file, node) {
    while (node && typeof node.$ref === 'string') {
      const [refFile, frag = ''] = node.$ref.split('#');
      if (refFile) file = refFile;
      const doc = schemas[file];
      if (!doc) throw new Error(`schema ${file} not found (ref ${node.$ref})`);
      node = resolvePointer(doc, frag.startsWith('/') ? frag : frag ? '/' + frag : '');
    }
    return [file, node];
  }

  function shapeOf(file, raw) {
    const [f, node] = deref(file, raw);
    if (!node || typeof node !== 'object') return {};
    if (memo.has(node)) return memo.get(node);
    const shape = {};
    memo.set(node, shape);
    const merge = (other) => {
      if (other.f) shape.f = { ...(shape.f ?? {}), ...other.f };
      if (other.i) shape.i = other.i;
      if (other.m) shape.m = other.m;
    };
    if (node.properties) {
      shape.f = { ...(shape.f ?? {}) };
      for (const [name, sub] of Object.entries(node.properties)) shape.f[name] = shapeOf(f, sub);
    }
    if (node.items && !Array.isArray(node.items)) shape.i = shapeOf(f, node.items);
    if (node.additionalProperties && typeof node.additionalProperties === 'object') shape.m = shapeOf(f, node.additionalProperties);
    if (node.patternProperties) {
      const subs = Object.values(node.patternProperties);
      shape.m = subs.length === 1 ? shapeOf(f, subs[0]) : {};
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) for (const sub of node[key] ?? []) merge(shapeOf(f, sub));
    // A map with free keys has no unknown fields, whatever else is declared.
    if (shape.m || node.additionalProperties === true) delete shape.f;
    return shape;
  }

  return shapeOf(entryFile, schemas[entryFile]);
}
