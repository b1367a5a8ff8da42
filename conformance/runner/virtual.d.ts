// Modules the bundler generates (scripts/bundle-conformance.mjs).
declare module 'virtual:conformance-tests' {
  /** imports every test file, naming each before its tests register */
  export function loadTests(beginFile: (name: string) => void): Promise<void>;
}
declare module 'virtual:conformance-clauses' {
  /** test ID → the spec clauses COVERAGE.md says it checks */
  const clauses: Record<string, { ref: string; file: string; line: number; text: string; level: string }[]>;
  export default clauses;
}
