// S4: diff live s2_l against backup s2_b for wp_users and wp_usermeta, producing every differing key
// with the public diffKeys (one query, keys only), or only counts with diffTables (--counts); the two
// tables at once, as independent calls on the pool.
import { diffKeys, diffTables, TableRef } from 'rowback';
import { benchTarget, since } from './bench-target.ts';

const countsOnly = process.argv.includes('--counts');

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const target = await benchTarget('s2_l');
try {
  // The two tables are independent: diffed at once, each query on its own pooled connection.
  const counts = await Promise.all(
    ['wp_users', 'wp_usermeta'].map(async (table) => {
      const t0 = performance.now();
      const live = new TableRef('s2_l', table);
      const backup = new TableRef('s2_b', table);
      if (countsOnly) {
        const d = await diffTables(target.db, live, backup, { sampleSize: 0 });
        console.log(
          `${table}: changed=${d.changed} onlyLeft=${d.onlyLeft} onlyRight=${d.onlyRight} in ${since(t0)}`,
        );
        return d.total;
      }
      const found = await diffKeys(target.db, live, backup);
      console.log(`${table}: keys returned=${found.length} in ${since(t0)}`);
      return found.length;
    }),
  );
  const keys = counts[0]! + counts[1]!;
  console.log(`s4-diff${countsOnly ? ' (counts)' : ''} in ${since(start)}`);
  console.log(keys);
} finally {
  await target.close();
}
