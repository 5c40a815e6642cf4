// Small option reader shared by subcommands: `--name value`, `--name=value`,
// `-x value`; unknown options are usage errors naming the option. A word with
// a control character (a line break pasted into a quoted argument) is refused
// here, so no parser behind this reader echoes one into a message.
import { UsageError } from '../eal/corelist';
import { CONTROL_CHAR, quote } from '../eal/quote';

function word(a: string): string {
  if (CONTROL_CHAR.test(a)) throw new UsageError(`argument ${quote(a)} contains a control character`);
  return a;
}

export class Args {
  private i = 0;
  constructor(private readonly argv: readonly string[]) {}

  /** Next option or positional, or undefined at the end. */
  next(): string | undefined {
    const a = this.argv[this.i++];
    if (a === undefined) return undefined;
    word(a);
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) {
      this.pendingValue = a.slice(eq + 1);
      return a.slice(0, eq);
    }
    return a;
  }

  private pendingValue: string | undefined;

  /** The value of the option just read by next(). */
  value(opt: string): string {
    if (this.pendingValue !== undefined) {
      const v = this.pendingValue;
      this.pendingValue = undefined;
      return v;
    }
    const v = this.argv[this.i++];
    if (v === undefined) throw new UsageError(`option ${opt} needs a value`);
    return word(v);
  }

  int(opt: string, min: number, max: number): number {
    const s = this.value(opt);
    const v = Number(s);
    if (!/^\d+$/.test(s) || v < min || v > max) throw new UsageError(`option ${opt} must be an integer ${min}..${max}, got ${quote(s)}`);
    return v;
  }

  num(opt: string, min: number, max: number): number {
    const s = this.value(opt);
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v) || v < min || v > max) throw new UsageError(`option ${opt} must be a number ${min}..${max}, got ${quote(s)}`);
    return v;
  }
}
