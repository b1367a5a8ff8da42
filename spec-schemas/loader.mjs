// Loads the vendored runtime-spec schemas into one ajv (draft-04) instance.
// The upstream files carry no `id`, and their cross-file refs ("defs.json#/definitions/x") are
// relative: giving each file an id under one base URI lets ajv resolve them without a network.
// Plain JavaScript so build scripts can use it before (or without) the TypeScript build.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMA_DIR = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_BASE = 'https://opencontainers.org/runtime-spec/schema/';

/** The three documents the runtime validates, by the name each validator is exported under. */
export const ENTRY_POINTS = {
  config: 'config-schema.json',
  state: 'state-schema.json',
  features: 'features-schema.json',
};

/** Every schema file, parsed, with `id` set to its URI under SCHEMA_BASE. */
export function readSchemas(dir = SCHEMA_DIR) {
  const out = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const schema = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    out[file] = { ...schema, id: SCHEMA_BASE + file };
  }
  return out;
}

/**
 * An ajv instance holding every schema. `strict: false` because the spec's schemas use draft-04
 * idioms ajv's strict mode rejects (e.g. `type` alongside `$ref`); `allErrors` so a report lists
 * every problem rather than the first.
 */
export async function createAjv(ajvOptions = {}) {
  const { default: Ajv } = await import('ajv-draft-04');
  const ajv = new Ajv({ strict: false, allErrors: true, ...ajvOptions });
  for (const schema of Object.values(readSchemas())) ajv.addSchema(schema);
  return ajv;
}

export function schemaId(file) {
  return SCHEMA_BASE + file;
}
