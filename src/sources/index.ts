export type { DumpInput } from './byte-input.ts';
export type { LoadMethod } from './load-session.ts';
export { fromMysqldump, type MysqldumpOptions } from './mysqldump-source.ts';
export { fromMysqlShellDump, type MysqlShellDumpOptions } from './mysqlsh-source.ts';
export type { KeyValue, RowFilterSpec, RowFilters } from './row-filter.ts';
export { fromSchema, type SchemaSourceOptions } from './schema-source.ts';
export { fromServer, type ServerSourceOptions } from './server-source.ts';
export type { ExtractContext, ExtractedTable, ExtractProgress, ExtractResult, Source } from './source.ts';
export { ROW_ID_COLUMN } from './workspace-ddl.ts';
