// Options shared by benchmark scenarios and the shape of what they return.
export interface BenchOptions {
  runs: number;
  seconds: number;
  /** True if --seconds was given (a scenario with its own default length may keep it otherwise). */
  secondsGiven?: boolean;
  /** fwd only: the forwarder rows (names as printed) and frame sizes to run; undefined = all. */
  rows?: string[];
  sizes?: number[];
  /** Two CPUs for producer/consumer pairs. */
  cpus: [number, number];
  log: (line: string) => void;
}

export interface BenchReport {
  name: string;
  markdown: string;
  json: unknown;
  /** Charts and other files written next to <name>.md: file name -> text. */
  files?: Record<string, string>;
}
