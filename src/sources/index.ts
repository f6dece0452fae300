export type { DumpInput } from './byte-input.ts';
export type { LoadMethod } from './load-session.ts';
export { fromMysqldump, type MysqldumpOptions } from './mysqldump-source.ts';
export { fromMysqlShellDump, type MysqlShellDumpOptions } from './mysqlsh-source.ts';
export type { KeyValue, RowFilterSpec, RowFilters } from './row-filter.ts';
export type { ExtractContext, ExtractedTable, ExtractProgress, ExtractResult, Source } from './source.ts';
