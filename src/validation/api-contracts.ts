import { z } from 'zod';
import type { CallContract } from './check-call.ts';
import * as s from './shapes.ts';

/**
 * The run-time contract of every public call a restore module or script makes: its arguments and a
 * right way to write it. One place, so a message about a bad option reads the same everywhere.
 */

const optionsOf = (what: string, shape: z.core.$ZodLooseShape) => z.looseObject(shape, { error: what });

/** `YYYYMMDD-slug`: a restore module's id and folder name. */
export const MODULE_ID_PATTERN = /^\d{8}-[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const DEFINE_RESTORE: CallContract = {
  call: 'defineRestore(definition)',
  args: z.object({
    definition: optionsOf('an object { id, title, params?, run }', {
      id: z.string({ error: 'a string YYYYMMDD-slug' }).regex(MODULE_ID_PATTERN, {
        error: 'of the form YYYYMMDD-slug (lowercase letters, digits and dashes)',
      }),
      title: s.text('a non-empty title'),
      params: z
        .custom(
          (v) =>
            typeof v === 'object' &&
            v !== null &&
            typeof (v as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function',
          { error: 'a Standard Schema validator such as z.object({ … })' },
        )
        .optional(),
      retention: optionsOf('an object { days }', {
        days: z.number({ error: 'a number of days >= 0' }).nonnegative({ error: 'a number of days >= 0' }),
      }).optional(),
      runbook: optionsOf('an object { context?, decisions?, references? }', {
        context: z.string({ error: 'markdown text' }).optional(),
        decisions: z.array(z.string(), { error: 'a list of markdown strings' }).optional(),
        references: z.array(z.string(), { error: 'a list of markdown strings' }).optional(),
      }).optional(),
      run: s.fn('an async function run(r, params)'),
    }),
  }),
  example:
    "defineRestore({ id: '20261126-fix-emails', title: 'Put back e-mails', params: z.object({ … }), async run(r, p) { … } })",
};

const runOptionShape = {
  controlSchema: s.text('a schema name').optional(),
  workspaceSchema: s.text('a schema name').optional(),
  checksum: z.string({ error: 'a string' }).optional(),
  onEvent: s.fn('an event listener function').optional(),
  confirmManual: s.fn('a function (name, instructions) => Promise<boolean>').optional(),
  heartbeatMs: z.number({ error: 'a number of ms > 0' }).positive({ error: 'a number of ms > 0' }).optional(),
};

const seconds = () =>
  z.number({ error: 'a number of seconds >= 0' }).nonnegative({ error: 'a number of seconds >= 0' });
const count = () =>
  z.number({ error: 'a whole number >= 0' }).int({ error: 'a whole number >= 0' }).nonnegative();

/** `apply(…, { throttle })` and `undo(…, { throttle })`: how chunked writes are paced. */
const throttleOption = optionsOf(
  'an object { replicas?, maxReplicaLagSeconds?, maxThreadsRunning?, timeoutSeconds? }',
  {
    enabled: z.boolean({ error: 'true or false' }).optional(),
    replicas: z
      .array(s.text('a connection URL'), {
        error: "a list of connection URLs, e.g. ['mysql://user@replica:3306']",
      })
      .optional(),
    maxReplicaLagSeconds: seconds().optional(),
    maxThreadsRunning: count().optional(),
    maxFlowControlPaused: z.number({ error: 'a share between 0 and 1' }).min(0).max(1).optional(),
    maxRecvQueue: count().optional(),
    timeoutSeconds: seconds().optional(),
    pollMs: z.number({ error: 'a number of ms > 0' }).positive({ error: 'a number of ms > 0' }).optional(),
  },
).optional();

export const VALIDATE_PARAMS: CallContract = {
  call: 'validateParams(restore, params)',
  args: z.object({
    restore: s.restoreModule,
    params: z
      .custom((v) => v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v)), {
        error: 'an object of params by name (or nothing)',
      })
      .optional(),
  }),
  example: "validateParams(restore, { batch: 'b1' }) (from the CLI: --param batch=b1)",
};

export const PLAN: CallContract = {
  call: 'plan(target, restore, params, options?)',
  args: z.object({
    target: s.target,
    restore: s.restoreModule,
    options: optionsOf('an options object', runOptionShape).optional(),
  }),
  example: 'plan(await connect(url), restore, { … })',
};

export const APPLY: CallContract = {
  call: 'apply(target, restore, params, options)',
  args: z.object({
    target: s.target,
    restore: s.restoreModule,
    options: optionsOf('an options object { confirm }', {
      ...runOptionShape,
      confirm: s.confirm,
      force: z.boolean({ error: 'true or false' }).optional(),
      resume: z.boolean({ error: 'true or false' }).optional(),
      expectHost: s.text('a host name').optional(),
      throttle: throttleOption,
    }),
  }),
  example:
    'apply(target, restore, params, { confirm: true }); pass { confirm: true } or a confirm callback (fingerprint) => boolean',
};

export const UNDO: CallContract = {
  call: 'undo(target, runId, options)',
  args: z.object({
    target: s.target,
    runId: z.union([z.string().regex(/^\d+$/), z.number().int().positive()], {
      error: "a run id such as '42' (see rowback status)",
    }),
    options: optionsOf('an options object { confirm }', {
      confirm: s.confirm,
      controlSchema: s.text('a schema name').optional(),
      force: z.boolean({ error: 'true or false' }).optional(),
      throttle: throttleOption,
      onEvent: s.fn('an event listener function').optional(),
    }),
  }),
  example:
    "undo(target, '42', { confirm: true }); pass { confirm: true } or a confirm callback (fingerprint) => boolean",
};

export const FROM_MYSQLDUMP: CallContract = {
  call: 'fromMysqldump(input, options)',
  args: z.object({
    input: s.dumpInput,
    options: optionsOf('an options object { tables }', {
      tables: s.tableList,
      database: s.text('a database name').optional(),
      rows: s.rowFilters.optional(),
      into: s.stringRecord.optional(),
      method: s.loadMethod.optional(),
      ddl: s.dumpInput.optional(),
    }),
  }),
  example: "fromMysqldump('/backups/wp.sql.gz', { tables: ['wp_users', 'wp_usermeta'] })",
};

const positive = () =>
  z.number({ error: 'a whole number > 0' }).int({ error: 'a whole number > 0' }).positive();

/** `fromMysqlShellDump('s3://…', { s3 })`: how to reach the store (the rest from the AWS chain). */
const s3Option = optionsOf(
  'an object { region?, endpoint?, forcePathStyle?, credentials?, partSize?, concurrency?, maxAttempts? }',
  {
    region: s.text('a region, e.g. eu-central-1').optional(),
    endpoint: s.text('an endpoint URL, e.g. https://minio.backup:9000').optional(),
    forcePathStyle: z.boolean({ error: 'true or false' }).optional(),
    credentials: optionsOf('an object { accessKeyId, secretAccessKey, sessionToken? }', {
      accessKeyId: s.text('an access key id'),
      secretAccessKey: s.text('a secret access key'),
      sessionToken: s.text('a session token').optional(),
    }).optional(),
    partSize: positive().optional(),
    concurrency: positive().optional(),
    maxAttempts: positive().optional(),
  },
).optional();

export const FROM_MYSQLSH: CallContract = {
  call: 'fromMysqlShellDump(dir, options)',
  args: z.object({
    dir: s.text('a directory path or s3://bucket/prefix'),
    options: optionsOf('an options object { tables }', {
      tables: s.tableList,
      schema: s.text('a schema name').optional(),
      into: s.stringRecord.optional(),
      rows: s.rowFilters.optional(),
      allowIncomplete: z.boolean({ error: 'true or false' }).optional(),
      method: s.loadMethod.optional(),
      s3: s3Option,
    }),
  }),
  example: "fromMysqlShellDump('/backups/wp-2026-11-25', { schema: 'wordpress', tables: ['wp_users'] })",
};

export const FROM_SCHEMA: CallContract = {
  call: 'fromSchema(schema, options)',
  args: z.object({
    schema: s.text('a schema name'),
    options: optionsOf('an options object { tables }', {
      tables: s.tableList,
      where: s.queryRecord.optional(),
      into: s.stringRecord.optional(),
    }),
  }),
  example: "fromSchema('wordpress_restored', { tables: ['wp_users', 'wp_usermeta'] })",
};

export const FROM_SERVER: CallContract = {
  call: 'fromServer(url, options)',
  args: z.object({
    url: z.string({ error: 'a mysql:// URL' }).regex(/^[a-z][a-z0-9+.-]*:\/\//i, { error: 'a mysql:// URL' }),
    options: optionsOf('an options object { schema, tables }', {
      schema: s.text('a schema name').optional(),
      tables: s.tableList,
      where: s.queryRecord.optional(),
      into: s.stringRecord.optional(),
      method: s.loadMethod.optional(),
    }),
  }),
  example: "fromServer('mysql://restore@10.0.0.9:3306', { schema: 'wordpress', tables: ['wp_users'] })",
};

export const R_LIVE: CallContract = {
  call: 'r.live(table)',
  args: z.object({ table: s.tableName }),
  example: "r.live('wp_users')",
};

export const R_EXTRACT: CallContract = {
  call: 'r.extract(name, source)',
  args: z.object({ name: s.stepName, source: s.source }),
  example: "r.extract('backup', fromMysqldump(file, { tables: ['wp_users'] }))",
};

export const R_SCOPE: CallContract = {
  call: 'r.scope(name, query, options)',
  args: z.object({
    name: s.stepName,
    query: s.query,
    options: optionsOf('an options object { key }', {
      key: s.columns,
      expect: s.countExpectation.optional(),
      keyFrom: s.tableName.optional(),
    }),
  }),
  example: "r.scope('users', sql`SELECT ID FROM wp_users WHERE …`, { key: ['ID'], expect: { min: 1 } })",
};

export const R_SNAPSHOT: CallContract = {
  call: 'r.snapshot(name, tables, options?)',
  args: z.object({
    name: s.stepName,
    tables: s.tableList,
    options: optionsOf('an options object { scope?, on? }', {
      scope: s.scope.optional(),
      on: z
        .record(z.string(), s.columns, {
          error: "an object of columns per table, e.g. { wp_usermeta: 'user_id' }",
        })
        .optional(),
    }).optional(),
  }),
  example:
    "r.snapshot('before', ['wp_users', 'wp_usermeta'], { scope: users, on: { wp_usermeta: 'user_id' } })",
};

export const R_TRANSACTION: CallContract = {
  call: 'r.transaction(name, fn, options?)',
  args: z.object({
    name: s.stepName,
    fn: s.fn('an async function (tx) => { … }'),
    options: optionsOf('an options object { chunk?, maxBytes? }', {
      chunk: optionsOf('an object { scope, size }', {
        scope: s.scope,
        size: z.number({ error: 'a whole number > 0' }).int().positive({ error: 'a whole number > 0' }),
      }).optional(),
      maxBytes: z
        .number({ error: 'a number of bytes > 0' })
        .positive({ error: 'a number of bytes > 0' })
        .optional(),
    }).optional(),
  }),
  example: "r.transaction('restore', async (tx) => { await tx.replaceRows(…); })",
};

export const R_MANUAL: CallContract = {
  call: 'r.manual(name, instructions)',
  args: z.object({ name: s.stepName, instructions: s.text('non-empty instructions') }),
  example: "r.manual('reimport', 'Re-run the EP import with the fixed importer')",
};

const verifyArgs = z.object({
  name: s.stepName,
  check: s.check,
  options: optionsOf('an options object { expect }', { expect: s.expectation }),
});

export const R_VERIFY: CallContract = {
  call: 'r.verify(name, check, options)',
  args: verifyArgs,
  example: "r.verify('no orphan left', sql`SELECT …`, { expect: { rows: 0 } })",
};

export const TX_VERIFY: CallContract = {
  call: 'tx.verify(name, check, options)',
  args: verifyArgs,
  example:
    "tx.verify('users equal backup', tx.diff('wp_users', backup.table('wp_users'), { scope: users }), { expect: 'no-diff' })",
};

export const TX_DIFF: CallContract = {
  call: 'tx.diff(table, backup, options?)',
  args: z.object({
    table: s.tableName,
    backup: s.tableRef,
    options: optionsOf('an options object', {
      scope: s.scope.optional(),
      on: s.columns.optional(),
      columns: s.columnList.optional(),
      key: s.columns.optional(),
    }).optional(),
  }),
  example: "tx.diff('wp_users', backup.table('wp_users'), { scope: users })",
};

/** The writes: `tx.*` inside a transaction, or the primitives of the same name with a WriteContext. */
export function purgeContract(call: string): CallContract {
  return {
    call: `${call}(table, options)`,
    args: z.object({
      table: s.tableOrRef,
      options: optionsOf('an options object { where or scope, expect }', {
        ...s.writeOptions,
        expect: s.countExpectation,
        where: s.query.optional(),
        scope: s.scope.optional(),
        on: s.columns.optional(),
      }).superRefine((o, ctx) => {
        // A purge with neither deletes the whole table: never blind, never whole by accident.
        if (o.where === undefined && o.scope === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['where'],
            message:
              'given (or scope): a purge deletes the rows of a where condition or a scope, never a whole table',
          });
        if (o.where !== undefined && o.scope !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['where'],
            message: 'left out when scope is given (one or the other)',
          });
      }),
    }),
    example: `${call}('wp_ep_results', { where: sql\`import_batch = \${batch}\`, expect: { rows: 1234 } })`,
  };
}

export function replaceRowsContract(call: string): CallContract {
  return {
    call: `${call}(table, options)`,
    args: z.object({
      table: s.tableOrRef,
      options: optionsOf('an options object { from, scope }', {
        ...s.writeOptions,
        from: s.tableRef,
        scope: s.scope,
        on: s.columns.optional(),
        allowList: s.columnList.optional(),
      }),
    }),
    example: `${call}('wp_users', { from: backup.table('wp_users'), scope: users })`,
  };
}

export function upsertColumnsContract(call: string): CallContract {
  return {
    call: `${call}(table, options)`,
    args: z.object({
      table: s.tableOrRef,
      options: optionsOf('an options object { from, scope, columns }', {
        ...s.writeOptions,
        from: s.tableRef,
        scope: s.scope,
        columns: s.columnList.min(1, { error: "a non-empty list of column names, e.g. ['user_email']" }),
        insertMissing: z.boolean({ error: 'true or false' }).optional(),
        on: s.columns.optional(),
        where: s.query.optional(),
      }),
    }),
    example: `${call}('wp_users', { from: backup.table('wp_users'), scope: users, columns: ['user_email'] })`,
  };
}

export function replaceChildrenContract(call: string): CallContract {
  return {
    call: `${call}(table, options)`,
    args: z.object({
      table: s.tableOrRef,
      options: optionsOf('an options object { from, parentKey, scope }', {
        ...s.writeOptions,
        from: s.tableRef,
        parentKey: s.columns,
        scope: s.scope,
        allowList: s.columnList.optional(),
      }),
    }),
    example: `${call}('wp_usermeta', { from: backup.table('wp_usermeta'), parentKey: 'user_id', scope: users })`,
  };
}

export const STATUS: CallContract = {
  call: 'status(target, options?)',
  args: z.object({
    target: s.target,
    options: optionsOf('an options object { moduleId?, limit? }', {
      controlSchema: s.text('a schema name').optional(),
      moduleId: s.text('a module id').optional(),
      limit: z
        .number({ error: 'a whole number > 0' })
        .int()
        .positive({ error: 'a whole number > 0' })
        .optional(),
    }).optional(),
  }),
  example: "status(target, { moduleId: '20261126-wpca-uid-collision' })",
};

export const GC: CallContract = {
  call: 'gc(target, options?)',
  args: z.object({
    target: s.target,
    options: optionsOf('an options object { dryRun? }', {
      controlSchema: s.text('a schema name').optional(),
      dryRun: z.boolean({ error: 'true or false' }).optional(),
    }).optional(),
  }),
  example: 'gc(target, { dryRun: true })',
};

export const RENDER_RUNBOOK: CallContract = {
  call: 'renderRunbook(restore, options?)',
  args: z.object({
    restore: s.restoreModule,
    options: optionsOf('an options object { report? }', {
      report: z
        .custom(
          (v) => v === null || (typeof v === 'object' && Array.isArray((v as { steps?: unknown }).steps)),
          {
            error: 'a run report (or null)',
          },
        )
        .optional(),
    }).optional(),
  }),
  example: 'renderRunbook(restore, { report })',
};
