// The state JSON must adhere to the spec's schema/state-schema.json (draft-04).
import AjvModule from 'ajv-draft-04';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_DIR } from './env.js';

const dir = join(CONFORMANCE_DIR, 'fixtures/spec-schema');
const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;

// ajv-draft-04 is CommonJS with a default export: under NodeNext its class is the default's default
const ajv = new AjvModule.default({ strict: false, allErrors: true });
ajv.addSchema({ ...load('defs.json'), id: 'defs.json' });
const validate = ajv.compile(load('state-schema.json'));

/** Schema violations of a state document, empty when valid. */
export function stateSchemaErrors(state: unknown): string[] {
  if (validate(state)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
