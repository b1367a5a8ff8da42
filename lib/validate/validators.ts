// Loads the validators precompiled by scripts/precompile-schemas.mjs (build/validators.cjs).
// The same code runs from lib/ (vitest on the sources) and from dist/lib/ (the built package), so
// the package root is found by walking up to the directory that holds package.json.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../support/package-root.js';
import { OciError } from '../errors.js';
import { bundledValidators } from './bundled.js';

/** Ajv's error object, as the standalone code produces it. */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
}

export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

/** Known field names at each place of a document (see spec-schemas/shape.mjs). */
export interface Shape {
  f?: Record<string, Shape>;
  i?: Shape;
  m?: Shape;
}

export type DocumentKind = 'config' | 'state' | 'features';

interface ValidatorsModule extends Record<DocumentKind, CompiledValidator> {
  shapes: Record<DocumentKind, Shape>;
}

let loaded: ValidatorsModule | undefined;

export function loadValidators(): ValidatorsModule {
  if (loaded) return loaded;
  const bundled = bundledValidators() as ValidatorsModule | undefined;
  if (bundled) return (loaded = bundled);
  const root = packageRoot();
  const file = join(root, 'build', 'validators.cjs');
  if (!existsSync(file)) {
    throw new OciError(
      'ERR_NOT_SUPPORTED',
      `the precompiled schema validators are missing (${file}); run \`npm run build\` in ${root}`,
    );
  }
  loaded = createRequire(file)(file) as ValidatorsModule;
  return loaded;
}

export function validatorFor(kind: DocumentKind): CompiledValidator {
  return loadValidators()[kind];
}

export function shapeFor(kind: DocumentKind): Shape {
  return loadValidators().shapes[kind];
}
