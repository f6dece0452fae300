import { RowbackError } from './rowback-error.ts';

export interface BinlogSettingFacts {
  /** The server setting at fault, e.g. `binlog_row_image`. */
  readonly setting: string;
  readonly expected: string;
  readonly found: string;
  /** What in the log showed it. */
  readonly what: string;
  readonly fix: string;
}

/**
 * The binary log cannot give back the exact rows: a server setting made it log less than rowback
 * needs (statement format, minimal images, partial JSON updates, compression it cannot read, a
 * purged start). The message names the setting.
 */
export class BinlogSettingError extends RowbackError {
  override readonly name = 'BinlogSettingError';
  readonly setting: string;

  constructor(facts: BinlogSettingFacts, cause?: unknown) {
    super(
      `the binary log cannot recover these rows exactly: ${facts.what}; ${facts.setting} must be ${facts.expected}, found ${facts.found}`,
      { hint: facts.fix, facts: { ...facts }, cause },
    );
    this.setting = facts.setting;
  }
}
