export type { ExtractContext, ExtractedTable, ExtractProgress, ExtractResult, Source } from './source.ts';
