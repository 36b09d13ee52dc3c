/**
 * TEST-ONLY: just enough of vitest's API (`describe`, `it`, `expect`) to run a suite written for
 * vitest inside a browser page: the bundler aliases `vitest` to this module for the conformance
 * page (testing-conformance-page.ts). `expect` is vitest's own (`@vitest/expect` on chai), so
 * matchers behave as in Node; tests are collected and run in order by {@link runCollectedTests}.
 */
import { chai, customMatchers, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState } from '@vitest/expect';

type TestBody = () => unknown;

/** One collected test, named "describe > it". */
interface CollectedTest {
  readonly name: string;
  readonly body: TestBody;
}

/** Result of one test run in the page. */
export interface TestOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly error: string | undefined;
  readonly ms: number;
}

const collected: CollectedTest[] = [];
const prefixes: string[] = [];

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** vitest's `expect` (chai with the Jest-compatible matchers and vitest's custom ones). */
export const expect = chai.expect as unknown as typeof import('vitest').expect;
setState(
  {
    assertionCalls: 0,
    isExpectingAssertions: false,
    isExpectingAssertionsError: null,
    expectedAssertionsNumber: null,
    expectedAssertionsNumberErrorGen: null,
    testPath: 'browser',
    currentTestName: '',
  },
  chai.expect as unknown as Parameters<typeof setState>[1],
);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = chai.expect;
(chai.expect as unknown as { extend(e: unknown, m: unknown): void }).extend(chai.expect, customMatchers);

/** describe: groups tests; runs `body` at once to collect them. */
export function describe(name: string, body: () => void): void {
  prefixes.push(name);
  try {
    body();
  } finally {
    prefixes.pop();
  }
}

/** it: collects a test (the optional timeout argument is ignored). */
export function it(name: string, body: TestBody): void {
  collected.push({ name: [...prefixes, name].join(' > '), body });
}

/** runCollectedTests: runs every collected test in order and reports each outcome. */
export async function runCollectedTests(): Promise<TestOutcome[]> {
  const out: TestOutcome[] = [];
  for (const t of collected) {
    const started = performance.now();
    try {
      await t.body();
      out.push({ name: t.name, ok: true, error: undefined, ms: performance.now() - started });
    } catch (err) {
      const e = err as { stack?: unknown; message?: unknown };
      out.push({ name: t.name, ok: false, error: String(e.stack ?? e.message ?? err), ms: performance.now() - started });
    }
  }
  return out;
}
