// S4: diff live s2_l against backup s2_b for wp_users and wp_usermeta with the public diffTables,
// producing every differing key (sampleSize above any possible count), or only counts (--counts).
import { diffTables, TableRef } from 'rowback';
import { benchTarget, since } from './bench-target.ts';

const countsOnly = process.argv.includes('--counts');
/** `LIMIT` of the key samples: large enough that every differing key comes back. */
const ALL_KEYS = 1_000_000_000;

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const target = await benchTarget('s2_l');
try {
  let keys = 0;
  for (const table of ['wp_users', 'wp_usermeta']) {
    const t0 = performance.now();
    const d = await diffTables(target.db, new TableRef('s2_l', table), new TableRef('s2_b', table), {
      sampleSize: countsOnly ? 0 : ALL_KEYS,
    });
    const sampled = d.sample.onlyLeft.length + d.sample.onlyRight.length + d.sample.changed.length;
    console.log(
      `${table}: changed=${d.changed} onlyLeft=${d.onlyLeft} onlyRight=${d.onlyRight} keys returned=${sampled} in ${since(t0)}`,
    );
    keys += countsOnly ? d.total : sampled;
  }
  console.log(`s4-diff${countsOnly ? ' (counts)' : ''} in ${since(start)}`);
  console.log(keys);
} finally {
  await target.close();
}
