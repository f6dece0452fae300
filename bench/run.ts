// npm run bench -- [--scale N] [--repeat R] [S1 S2 S3 S4]
// Runs the peer kit with rowback measured in the same run (bench/lib-hook.sh), prints rowback vs every
// peer with ratios to the floor and peak RSS, writes raw lines + a dated Markdown report to
// bench/results/, and prints the summary line last. Never part of `npm test` or CI.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './cli-args.ts';
import { peerTables, summaryLine, targetTable } from './report.ts';
import { isFailedLib, parseMeasurements, summarize } from './results.ts';
import { runPeers } from './run-peers.ts';

const benchDir = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
const rootDir = fileURLToPath(new URL('..', import.meta.url));
const tscBin = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const args = parseBenchArgs(process.argv.slice(2));
const started = args.fromRaw ? stampOf(args.fromRaw) : new Date();

const git = (...a: string[]) => execFileSync('git', a, { cwd: benchDir }).toString().trim();
// rowback is measured as users run it: compiled JavaScript from dist/ (built here, from the tree as it is
// now), so the measurement neither pays for type stripping nor sees src/ edits made while it runs.
const commit = `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? '+uncommitted-src' : ''}`;
if (!args.fromRaw)
  execFileSync(process.execPath, [tscBin, '-p', 'tsconfig.build.json'], { cwd: rootDir, stdio: 'inherit' });
const lines = args.fromRaw
  ? (await readFile(args.fromRaw, 'utf8')).split('\n').filter(Boolean)
  : await runPeers(args, benchDir);
const measurements = parseMeasurements(lines).filter((m) => m.scale === args.scale);
const failed = measurements.filter(isFailedLib).map((m) => `${m.peer} (rc=${m.rc})`);
const peers = summarize(measurements);
const tables = peerTables(peers);
const targets = targetTable(peers);
const summary = summaryLine(args.scale, peers);

const stamp = started.toISOString().slice(0, 16).replace(':', '');
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
// The run's facts travel in the raw file's first line, so `--from-raw` re-renders them unchanged.
const meta =
  lines.find((l) => l.startsWith('# run ')) ??
  `# run commit=${commit} dist node=${process.version} scenarios=${args.scenarios.join(',')} repeat=${args.repeat} load=${load.replaceAll(' ', '/')}`;
await mkdir(`${benchDir}/results/raw`, { recursive: true });
const rawFile = `${benchDir}/results/raw/${stamp}-scale-${args.scale}.txt`;
if (!args.fromRaw) await writeFile(rawFile, `${[meta, ...lines].join('\n')}\n`);
const report = [
  `# rowback bench, scale ${args.scale} users, ${started.toISOString().slice(0, 16)} UTC`,
  '',
  `Run: \`${meta.slice(6)}\` (commit of the tree measured, compiled to dist/ before the run; \`+uncommitted-src\`: src/`,
  `had uncommitted changes, which were measured; load = load average at the end).${args.fromRaw ? ` Re-rendered from ${args.fromRaw}.` : ''}`,
  'Medians of this run only (peers once, rowback `--repeat` times); absolute seconds are noisy on the shared',
  '2-core VM, compare ratios. Raw lines: `results/raw/` (git-ignored).',
  '',
  ...lines.filter((l) => l.startsWith('==')).map((l) => `    ${l}`),
  '',
  ...(lines.some((l) => l.startsWith('check '))
    ? [
        "## S6 correctness (the kit's check lines: later changes overwritten, damage left, cells ≠ truth)",
        '',
        ...lines.filter((l) => l.startsWith('check ')).map((l) => `    ${l}`),
        '',
      ]
    : []),
  ...(failed.length
    ? [
        `**Failed rowback measurements, left out (see /tmp/bench-data/${args.scale}/peers.log):** ${failed.join(', ')}`,
        '',
      ]
    : []),
  '## rowback against the targets',
  '',
  targets,
  '',
  '## Every peer and rowback (same run)',
  tables,
  '',
  '```',
  summary,
  '```',
  '',
].join('\n');
const reportFile = `${benchDir}/results/${stamp}-scale-${args.scale}.md`;
await writeFile(reportFile, report);

console.log(tables);
console.log(`\n${targets}\n`);
if (failed.length) console.log(`FAILED rowback measurements (left out): ${failed.join(', ')}`);
console.log(`raw lines: ${rawFile}\nreport: ${reportFile}`);
console.log(summary);

/** The run's start time from a raw file name `<YYYY-MM-DDTHHMM>-scale-N.txt`. */
function stampOf(file: string): Date {
  const m = /(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})-scale/.exec(file);
  if (!m) throw new Error(`${file}: not a bench/results/raw file name`);
  return new Date(`${m[1]}T${m[2]}:${m[3]}:00Z`);
}
