// Small option reader shared by subcommands: `--name value`, `--name=value`,
// `-x value`; unknown options are usage errors naming the option.
import { UsageError } from '../eal/corelist';

export class Args {
  private i = 0;
  constructor(private readonly argv: readonly string[]) {}

  /** Next option or positional, or undefined at the end. */
  next(): string | undefined {
    const a = this.argv[this.i++];
    if (a === undefined) return undefined;
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
    return v;
  }

  int(opt: string, min: number, max: number): number {
    const s = this.value(opt);
    const v = Number(s);
    if (!/^\d+$/.test(s) || v < min || v > max) throw new UsageError(`option ${opt} must be an integer ${min}..${max}, got '${s}'`);
    return v;
  }

  num(opt: string, min: number, max: number): number {
    const s = this.value(opt);
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v) || v < min || v > max) throw new UsageError(`option ${opt} must be a number ${min}..${max}, got '${s}'`);
    return v;
  }
}
