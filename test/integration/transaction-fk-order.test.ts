import { defineRestore, fromSchema, type RestoreContext, sql } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';

/**
 * Inside `r.transaction` every `tx.*` write runs at once, in call order (no reordering across calls):
 * a module that calls them parents first for rows put back, children first for rows deleted, works; the
 * other order is refused by the foreign key with a ForeignKeyError that names the order, and the
 * transaction is rolled back.
 */
let box: Sandbox;
let backupSchema: string;

/** The two tables, in the live schema or in `inSchema`. */
const schema = (inSchema = '') => {
  const q = inSchema ? `\`${inSchema}\`.` : '';
  return `
  CREATE TABLE ${q}shop_customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL) ENGINE=InnoDB;
  CREATE TABLE ${q}shop_orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total INT NOT NULL,
    CONSTRAINT fk_order_customer FOREIGN KEY (customer_id) REFERENCES ${q}shop_customers (id)) ENGINE=InnoDB;`;
};

beforeAll(async () => {
  box = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'rbfk' });
  backupSchema = box.schemaName('backup');
  await box.load({ sql: `CREATE DATABASE \`${backupSchema}\`` });
  await box.load({ sql: schema(backupSchema) });
  await box.load({
    sql: `INSERT INTO \`${backupSchema}\`.shop_customers VALUES (1, 'Ada'), (2, 'Bob'), (3, 'Cy');
          INSERT INTO \`${backupSchema}\`.shop_orders VALUES (10, 1, 5), (20, 2, 7), (21, 2, 8), (30, 3, 9);`,
  });
  await box.load({ sql: schema() });
});
afterAll(async () => box?.drop());

/** Live: a bad script deleted customers 2 and 3 with their orders, and an import added customer 9. */
beforeEach(async () => {
  await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.controlSchema}\`` });
  await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.workspaceSchema}\`` });
  await box.load({
    sql: `DELETE FROM shop_orders; DELETE FROM shop_customers;
          INSERT INTO shop_customers VALUES (1, 'Ada'), (9, 'Imported');
          INSERT INTO shop_orders VALUES (10, 1, 5), (90, 9, 1), (91, 9, 2);`,
  });
});

const live = async () =>
  `${JSON.stringify(await box.rows('shop_customers', { orderBy: 'id' }))}/${JSON.stringify(await box.rows('shop_orders', { orderBy: 'id' }))}`;

type Writes = (
  tx: Parameters<Parameters<RestoreContext['transaction']>[1]>[0],
  backup: Awaited<ReturnType<RestoreContext['extract']>>,
  lost: Awaited<ReturnType<RestoreContext['scope']>>,
) => Promise<void>;

function moduleWith(writes: Writes) {
  return defineRestore({
    id: '20261204-fk-order',
    title: 'FK order inside a transaction',
    params: z.object({}),
    async run(r) {
      const backup = await r.extract(
        'backup',
        fromSchema(backupSchema, { tables: ['shop_customers', 'shop_orders'] }),
      );
      const lost = await r.scope(
        'lost-customers',
        sql`SELECT b.id FROM ${backup.table('shop_customers')} b LEFT JOIN shop_customers l ON l.id = b.id WHERE l.id IS NULL`,
        { key: 'id', keyFrom: 'shop_customers', expect: { rows: 2 } },
      );
      await r.transaction('restore', (tx) => writes(tx, backup, lost));
    },
  });
}

const putBackCustomers: Writes = async (tx, backup, lost) => {
  await tx.replaceRows('shop_customers', { from: backup.table('shop_customers'), scope: lost });
};
const putBackOrders: Writes = async (tx, backup, lost) => {
  await tx.replaceChildren('shop_orders', {
    from: backup.table('shop_orders'),
    parentKey: 'customer_id',
    scope: lost,
  });
};
const purgeImportedOrders: Writes = async (tx) => {
  await tx.purge('shop_orders', { where: sql`customer_id = ${9}`, expect: { rows: 2 } });
};
const purgeImportedCustomer: Writes = async (tx) => {
  await tx.purge('shop_customers', { where: sql`id = ${9}`, expect: { rows: 1 } });
};
const inOrder =
  (...writes: Writes[]): Writes =>
  async (tx, backup, lost) => {
    for (const write of writes) await write(tx, backup, lost);
  };

describe('foreign keys inside r.transaction: writes run in call order', () => {
  it('parents first for rows put back, children first for rows deleted: applied', async () => {
    const report = await box.apply(
      moduleWith(inOrder(purgeImportedOrders, purgeImportedCustomer, putBackCustomers, putBackOrders)),
      {},
    );
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(await box.rows('shop_customers', { orderBy: 'id' })).toEqual([
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Bob' },
      { id: 3, name: 'Cy' },
    ]);
    expect((await box.rows('shop_orders', { orderBy: 'id' })).map((o) => o.id)).toEqual([10, 20, 21, 30]);
  });

  it('children before their parents are put back: ForeignKeyError naming the order, rolled back', async () => {
    const before = await live();
    // The purges come first and succeed inside the transaction; the rollback takes them back too.
    const report = await box.apply(
      moduleWith(inOrder(purgeImportedOrders, purgeImportedCustomer, putBackOrders, putBackCustomers)),
      {},
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatchObject({ name: 'ForeignKeyError' });
    expect(report.error?.message).toMatch(
      /replace-children shop_orders: foreign key fk_order_customer refused shop_orders rows whose shop_customers rows are not there \(errno 1452\)/,
    );
    expect(report.error?.hint).toMatch(
      /call the write that puts back the shop_customers rows before the one that writes the shop_orders rows/,
    );
    expect(await live()).toBe(before);
  });

  it('a parent deleted before its children: ForeignKeyError naming the order, nothing written', async () => {
    const before = await live();
    const report = await box.apply(moduleWith(inOrder(purgeImportedCustomer, purgeImportedOrders)), {});
    expect(report.status).toBe('failed');
    expect(report.error).toMatchObject({ name: 'ForeignKeyError' });
    expect(report.error?.message).toMatch(
      /purge shop_customers: 2 row\(s\) of \S*shop_orders\S* \(foreign key fk_order_customer, ON DELETE (RESTRICT|NO ACTION)\) reference rows of \S*shop_customers\S* this write deletes/,
    );
    expect(report.error?.hint).toMatch(
      /in call order \(children first when rows are deleted\): call the write that deletes or moves those \S*shop_orders\S* rows before this one/,
    );
    expect(await live()).toBe(before);
  });
});
