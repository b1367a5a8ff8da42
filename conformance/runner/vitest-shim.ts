// The part of vitest's API the conformance suite uses (test.extend with fixtures, describe,
// expect, inject, skip), for the suite bundled into the package: `ocirun-conformance` runs it
// without vitest and its toolchain. expect is vitest's own (@vitest/expect on chai), so a test
// asserts the same way under both runners.
import * as chai from 'chai';
import { ASYMMETRIC_MATCHERS_OBJECT, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, customMatchers, getState, setState } from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function createExpect(): Any {
  const expect: Any = (value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect) as { assertionCalls: number };
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    return chai.expect(value, message);
  };
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Any)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect);
  expect.setState = (state: object) => setState(state, expect);
  setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null }, expect);
  expect.extend = (matchers: object) => (chai.expect as Any).extend(expect, matchers);
  expect.extend(customMatchers);
  return expect;
}

export const expect = createExpect();
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: expect, writable: true, configurable: true });

/** A test as the runner sees it. */
export interface Collected {
  name: string;
  file: string;
  describe: string[];
  fn: (ctx: TaskContext) => Promise<void> | void;
}

export interface TaskContext {
  task: { name: string; meta: Record<string, unknown> };
  skip: (note?: string) => never;
}

/** Thrown by skip(): the runner records the test as skipped with the note. */
export class SkipSignal extends Error {
  constructor(readonly note: string) {
    super(note);
  }
}

export const collected: Collected[] = [];
const describeStack: string[] = [];
let currentFile = '';
const provided = new Map<string, unknown>();

/** The runner names the test file whose tests are registered next. */
export function beginFile(name: string): void {
  currentFile = name;
}

export function provide(key: string, value: unknown): void {
  provided.set(key, value);
}

export function inject(key: string): Any {
  return provided.get(key);
}

export function describe(name: string, fn: () => void): void {
  describeStack.push(name);
  try {
    fn();
  } finally {
    describeStack.pop();
  }
}

type Fixture = (ctx: TaskContext, use: (value: unknown) => Promise<void>) => Promise<void>;

function makeTest(fixtures: Record<string, Fixture>): Any {
  const t = (name: string, fn: (ctx: Any) => Promise<void> | void) => {
    collected.push({
      name,
      file: currentFile,
      describe: [...describeStack],
      fn: async (ctx) => {
        // fixtures are set up in order, each torn down after the test (also when it failed)
        const entries = Object.entries(fixtures);
        const values: Record<string, unknown> = {};
        const run = async (i: number): Promise<void> => {
          if (i === entries.length) return fn({ ...ctx, ...values });
          const [key, fixture] = entries[i]!;
          // as in vitest, use() returns when the test is over, failed or not, so that the fixture's
          // teardown runs; the test's own error is the one reported
          let used = false;
          let failure: { error: unknown } | undefined;
          try {
            await fixture(ctx, async (value) => {
              used = true;
              values[key] = value;
              try {
                await run(i + 1);
              } catch (error) {
                failure = { error };
              }
            });
          } catch (teardownError) {
            if (!failure) throw teardownError;
          }
          if (!used) throw new Error(`fixture ${key} did not call use()`);
          if (failure) throw failure.error;
        };
        await run(0);
      },
    });
  };
  t.extend = (more: Record<string, Fixture>) => makeTest({ ...fixtures, ...more });
  return t;
}

export const test = makeTest({});
export const it = test;
