// Profiling aid (not a scenario): the mysqldump tokenizer alone over a dump, no server, to separate the
// client's parse cost from the server's load cost in S1. Uses internal modules on purpose.
//   node --conditions=rowback-source [--cpu-prof] bench/profile/tokenize-only.ts FILE [--scope-file IDS]
import { readFileSync } from 'node:fs';
import { openByteInput } from '../../src/sources/byte-input.ts';
import { DumpSelection } from '../../src/sources/dump-selection.ts';
import { MysqldumpTokenizer } from '../../src/sources/mysqldump-tokenizer.ts';

const file = process.argv[2]!;
const scopeAt = process.argv.indexOf('--scope-file');
const keys =
  scopeAt > 0
    ? readFileSync(process.argv[scopeAt + 1]!, 'utf8')
        .trim()
        .split(',')
    : null;
const selection = new DumpSelection(
  {
    tables: ['wp_users', 'wp_usermeta'],
    ...(keys ? { rows: { wp_users: { column: 'ID', keys }, wp_usermeta: { column: 'user_id', keys } } } : {}),
  },
  {
    flavour: 'mariadb',
    version: '10.11',
    requirePrimaryKey: false,
    collations: new Set(['utf8mb4_unicode_520_ci']),
  },
);
const tokenizer = new MysqldumpTokenizer(selection);
const start = performance.now();
let bytes = 0;
let rows = 0;
let inTokenizer = 0;
for await (const chunk of (await openByteInput(file)).chunks()) {
  bytes += chunk.length;
  const t = performance.now();
  tokenizer.write(chunk);
  inTokenizer += performance.now() - t;
  for (const event of selection.events.splice(0)) if (event.kind === 'rows') rows += event.count;
}
tokenizer.end();
const total = performance.now() - start;
console.log(
  `${file}: ${bytes} bytes, ${rows} rows kept; ${total.toFixed(0)} ms total, ${inTokenizer.toFixed(0)} ms in the tokenizer (${((inTokenizer * 1e6) / bytes).toFixed(1)} ns/byte)`,
);
