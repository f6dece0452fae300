import { z } from 'zod';

/**
 * The module's params. `backup` names the pre-import backup; what it is (a dump file, a MySQL Shell
 * dump directory, a schema) is told by `backupKind`, or detected from the path when `auto`.
 */
export const params = z
  .object({
    /**
     * A mysqldump / mariadb-dump file (.sql, .gz, .zst), a MySQL Shell dump directory or
     * `s3://bucket/prefix` (the MySQL Operator's backups), or a schema name.
     */
    backup: z.string().min(1),
    /** Path-style S3 URLs, for S3-compatible stores that need them (MinIO, OCI); the endpoint comes from AWS_ENDPOINT_URL_S3. */
    s3PathStyle: z.enum(['true', 'false']).default('false'),
    backupKind: z.enum(['auto', 'mysqldump', 'mysqlsh', 'schema']).default('auto'),
    /** The schema inside the backup, for dumps of several schemas (`--databases`, `dumpInstance`). */
    backupSchema: z.string().min(1).optional(),
    /** `wp_ep_imports.batch_id` of the bad import. */
    importBatch: z.string().min(1),
    strategy: z.enum(['replace', 'allowlist']).default('allowlist'),
    /**
     * `same-cluster`: the backup is read into the workspace schema on the live server (default).
     * `standalone`: the backup was restored on a standalone server first (`standaloneUrl`), and
     * `backup` is the schema there; only the two user tables cross to the live server's workspace.
     */
    target: z.enum(['same-cluster', 'standalone']).default('same-cluster'),
    standaloneUrl: z.string().min(1).optional(),
  })
  .refine((p) => (p.target === 'standalone') === (p.standaloneUrl !== undefined), {
    message: 'standaloneUrl is required with target=standalone, and only then',
    path: ['standaloneUrl'],
  });

export type Params = z.output<typeof params>;
