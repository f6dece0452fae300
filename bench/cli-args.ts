/** What `npm run bench -- [--scale N] [--repeat R] [S1 S2 S3 S4 S5]` asks for. */
export interface BenchArgs {
  readonly scale: number;
  readonly scenarios: readonly string[];
  /** How many times each rowback measurement runs (the peers run once; medians are reported). */
  readonly repeat: number;
  /** Re-render the report of an earlier run from its raw lines instead of running (`--from-raw FILE`). */
  readonly fromRaw: string | null;
}

const ALL_SCENARIOS = ['S1', 'S2', 'S3', 'S4'] as const;
/** Run only when named: S5 starts a 3-node Galera cluster and a replica pair. */
const OPT_IN_SCENARIOS = ['S5'] as const;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let scale = 100_000;
  let repeat = 1;
  let fromRaw: string | null = null;
  const scenarios: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--scale' || arg === '--repeat') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${arg} needs a positive integer`);
      if (arg === '--scale') scale = value;
      else repeat = value;
    } else if (arg === '--from-raw') {
      fromRaw = argv[++i] ?? null;
      if (!fromRaw) throw new Error('--from-raw needs a file of raw result lines');
    } else if ([...ALL_SCENARIOS, ...OPT_IN_SCENARIOS].includes(arg.toUpperCase() as never)) {
      scenarios.push(arg.toUpperCase());
    } else {
      throw new Error(
        `unknown argument ${arg}; usage: npm run bench -- [--scale N] [--repeat R] [--from-raw FILE] [S1 S2 S3 S4 S5]`,
      );
    }
  }
  return Object.freeze({
    scale,
    repeat,
    fromRaw,
    scenarios: scenarios.length ? scenarios : [...ALL_SCENARIOS],
  });
}
