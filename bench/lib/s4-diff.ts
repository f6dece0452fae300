// S4: diff live s2_l against backup s2_b for wp_users and wp_usermeta, producing every differing key
// with the public diffKeys (one query, keys only), or only counts with diffTables (--counts).
import { diffKeys, diffTables, TableRef } from 'rowback';
import { benchTarget, since } from './bench-target.ts';

const countsOnly = process.argv.includes('--counts');

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const target = await benchTarget('s2_l');
try {
  let keys = 0;
  for (const table of ['wp_users', 'wp_usermeta']) {
    const t0 = performance.now();
    const live = new TableRef('s2_l', table);
    const backup = new TableRef('s2_b', table);
    if (countsOnly) {
      const d = await diffTables(target.db, live, backup, { sampleSize: 0 });
      console.log(
        `${table}: changed=${d.changed} onlyLeft=${d.onlyLeft} onlyRight=${d.onlyRight} in ${since(t0)}`,
      );
      keys += d.total;
    } else {
      const found = await diffKeys(target.db, live, backup);
      console.log(`${table}: keys returned=${found.length} in ${since(t0)}`);
      keys += found.length;
    }
  }
  console.log(`s4-diff${countsOnly ? ' (counts)' : ''} in ${since(start)}`);
  console.log(keys);
} finally {
  await target.close();
}
