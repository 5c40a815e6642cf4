// Shared pieces of the fuzz tests (test/fuzz-*.test.ts): how many cases to
// run, input generators that mix valid-shaped, near-valid and hostile text,
// and the one property every parser of outside input must keep: it returns a
// value that meets its contract, or throws one of the project's user-facing
// error classes with a one-line message, quickly.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';

/**
 * Cases per property: `ci` under `npm test`; `npm run fuzz` sets FUZZ_RUNS
 * (e.g. 1000000) to run that many instead. FUZZ_SEED replays a failure.
 */
export function fuzzParams(ci = 10_000): fc.Parameters<unknown> {
  const runs = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : ci,
    ...(Number.isInteger(seed) ? { seed } : {}),
  };
}

/** A case slower than this counts as a hang (generous: the CPUs are shared). */
export const CASE_MS = 2000;

/** fuzzParams for async properties: a case still pending after CASE_MS fails instead of hanging the run. */
export function fuzzParamsAsync(ci = 10_000): fc.Parameters<unknown> {
  return { ...fuzzParams(ci), timeout: CASE_MS };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `f` and checks its outcome: a value passed to `contract` (which asserts
 * the parser's promises), or an error whose class is exactly one of `errors`
 * (a subclass such as TypeError is a crash) with a non-empty one-line message.
 */
export function oneLineOutcome<T>(f: () => T, errors: readonly ErrorClass[], contract: (v: T) => void): void {
  const t0 = performance.now();
  let v: T;
  try {
    v = f();
  } catch (e) {
    checkError(e, errors);
    return;
  } finally {
    const ms = performance.now() - t0;
    assert.ok(ms < CASE_MS, `case took ${ms.toFixed(0)} ms`);
  }
  contract(v);
}

/** Async form of oneLineOutcome, for loaders. */
export async function oneLineOutcomeAsync<T>(f: () => Promise<T>, errors: readonly ErrorClass[], contract: (v: T) => void): Promise<void> {
  const t0 = performance.now();
  let v: T;
  try {
    v = await f();
  } catch (e) {
    checkError(e, errors);
    return;
  } finally {
    const ms = performance.now() - t0;
    assert.ok(ms < CASE_MS, `case took ${ms.toFixed(0)} ms`);
  }
  contract(v);
}

function checkError(e: unknown, errors: readonly ErrorClass[]): void {
  const ok = e instanceof Error && errors.some((c) => Object.getPrototypeOf(e) === c.prototype);
  if (!ok) throw new assert.AssertionError({ message: `crash: ${e instanceof Error ? e.stack : String(e)}` });
  const m = (e as Error).message;
  assert.ok(m.length > 0, 'empty error message');
  assert.ok(!/[\r\n]/.test(m), `multi-line error message: ${JSON.stringify(m)}`);
}

/** Digits, numbers at and past the edges (2^31, 2^32, 2^53, 1e400), signs and fractions. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.nat(70).map(String),
  fc.integer().map(String),
  fc.constantFrom('0', '00', '-0', '-1', '1.5', '1e3', '0x10', '0b1', '0o7', 'NaN', 'Infinity', '+1', ' 1', '1 ',
    '2147483647', '2147483648', '4294967295', '4294967296', '9007199254740993', '1' + '0'.repeat(400), '0'.repeat(300) + '1', '٣'),
  fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map(String),
  fc.stringMatching(/^(0x)?[0-9a-fA-F]{1,40}$/),
);

/** Single pieces a user or attacker might type: separators, whitespace, unicode, quotes. */
export const oddPiece: fc.Arbitrary<string> = fc.constantFrom(
  '', ' ', '\t', '\n', '\r\n', '\0', ',', ',,', '-', '--', '=', '==', ':', '::', '(', ')', '[', ']', '{', '}', '"', "'", '\\',
  '/', '#', '0x', 'x', '%', '.', '..', 'é', 'ß', '\u0663', '\u00a0', '\u2028', '\ufeff', '😀', '\ud800', 'all', 'all,0',
  '__proto__', 'constructor', 'toString', 'a'.repeat(300), '9'.repeat(40), ',0'.repeat(200),
);

/** Arbitrary text of every kind: ASCII, full unicode, control characters, and joined odd pieces. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary-ascii' }),
  fc.array(fc.oneof(oddPiece, numberText), { maxLength: 8 }).map((a) => a.join('')),
);

/** `valid` with one to three edits: a piece inserted, a character dropped or replaced, cut short, or repeated. */
export function nearValid(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.oneof(oddPiece, numberText, fc.string({ maxLength: 2 })), fc.nat(4));
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([s, edits]) => {
    for (const [at, piece, kind] of edits) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      if (kind === 0) s = s.slice(0, i) + piece + s.slice(i);
      else if (kind === 1) s = s.slice(0, i) + s.slice(i + 1);
      else if (kind === 2) s = s.slice(0, i) + piece + s.slice(i + 1);
      else if (kind === 3) s = s.slice(0, i);
      else s = s + s.slice(i);
    }
    return s;
  });
}

/** The usual mix for a text parser: valid-shaped, near-valid and hostile inputs. */
export function textInput(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: nearValid(valid), weight: 3 }, { arbitrary: hostileText, weight: 2 });
}

/**
 * An argv: option-value pairs (`options` then a word of `values`), single
 * words and fuzzed text, so that each option meets every kind of value.
 */
export function argvInput(words: fc.Arbitrary<string>, maxLength = 8, options: fc.Arbitrary<string> = words): fc.Arbitrary<string[]> {
  const one = fc.oneof({ arbitrary: words, weight: 4 }, { arbitrary: textInput(words), weight: 2 }, { arbitrary: numberText, weight: 1 });
  const item = fc.oneof({ arbitrary: fc.tuple(options, one), weight: 3 }, { arbitrary: one.map((w) => [w]), weight: 2 });
  return fc.array(item, { maxLength: Math.ceil(maxLength / 2) }).map((items) => items.flat());
}

/** Asserts `xs` is strictly increasing integers within [lo, hi]. */
export function assertSortedUnique(xs: readonly number[], lo: number, hi: number): void {
  for (let i = 0; i < xs.length; i++) {
    // Messages built only on failure: lists run to 1024 entries.
    if (!(Number.isInteger(xs[i]) && xs[i] >= lo && xs[i] <= hi)) assert.fail(`${xs[i]} outside ${lo}..${hi}`);
    if (i > 0 && !(xs[i] > xs[i - 1])) assert.fail(`not sorted/unique at ${i}: ${xs.join(',')}`);
  }
}

/**
 * A scratch directory for file parsers, removed at exit: in /dev/shm when
 * there is one, because a disk write per case costs more than the parsing.
 */
export function fuzzTmpDir(prefix: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
