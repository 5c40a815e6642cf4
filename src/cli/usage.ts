// Per-command help as data. Each command keeps its Usage next to its option
// parser, one [flags, text] line per option the parser accepts, so adding an
// option means adding a line (test/cli-help.test.ts fails otherwise);
// `tsfwd CMD -h|--help` prints it with formatUsage.

/** One option: the flags as typed, with the shape of their value, and what it does in one line. */
export type OptionHelp = readonly [flags: string, text: string];

export interface Usage {
  /** Command lines, e.g. "tsfwd l2fwd [EAL options] -- [application options]". */
  synopsis: readonly string[];
  /** One line for `tsfwd --help`'s command list. */
  summary: string;
  /** What the command does, in a sentence or two. */
  about: string;
  /** Option groups in print order, e.g. EAL options, then application options. */
  sections: readonly { title: string; options: readonly OptionHelp[] }[];
  examples: readonly string[];
}

/** True if `-h` or `--help` appears anywhere in a command's arguments (EAL or application part). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('-h') || argv.includes('--help');
}

const FLAG_COL = 30;
const WIDTH = 100;

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) { lines.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

export function formatUsage(u: Usage): string {
  const out: string[] = [];
  u.synopsis.forEach((s, i) => out.push(`${i === 0 ? 'Usage: ' : '       '}${s}`));
  out.push('', ...wrap(u.about, WIDTH));
  for (const s of u.sections) {
    out.push('', `${s.title}:`);
    for (const [flags, text] of s.options) {
      const body = wrap(text, WIDTH - FLAG_COL);
      // A flag column too wide for its text puts the text on the next line.
      if (flags.length + 4 > FLAG_COL) out.push(`  ${flags}`);
      else out.push(`  ${flags.padEnd(FLAG_COL - 2)}${body.shift() ?? ''}`);
      for (const l of body) out.push(`${' '.repeat(FLAG_COL)}${l}`);
    }
  }
  if (u.examples.length > 0) out.push('', 'Examples:', ...u.examples.map((e) => `  ${e}`));
  return `${out.join('\n')}\n`;
}
