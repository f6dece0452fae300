/**
 * Where a MySQL Shell dump lives: a directory, or a prefix in object storage. The dump reader
 * (`mysqlsh-dump-dir.ts`, `mysqlsh-source.ts`) reads through this and nothing else, so one reader serves
 * both; each implementation turns its own failures into SourceError.
 */
export interface DumpStorage {
  /** The dump's location for messages and provenance, without secrets: `/backups/x`, `s3://bucket/prefix`. */
  readonly location: string;
  /** The full name of one of the dump's files, for messages. */
  where(file: string): string;
  /** Names of the dump's files (the dump is flat: no folders), relative to the location. */
  list(): Promise<ReadonlySet<string>>;
  /** A small file (metadata, DDL) whole; null when the dump has no such file. */
  read(file: string): Promise<Buffer | null>;
  /** A data file's bytes as they arrive, without a temporary copy of the file. */
  stream(file: string): AsyncIterable<Uint8Array>;
  /** Facts for the extract's provenance: the location, and what was fetched where that costs. */
  provenance(): Readonly<Record<string, unknown>>;
  /** Lets go of connections (an SDK client's sockets); the storage is not used after. */
  close(): void;
}
