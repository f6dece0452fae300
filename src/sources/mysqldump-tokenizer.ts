import { SourceError } from '../errors/index.ts';
import { BACKSLASH, LF, TAB } from './tsv-bytes.ts';

/** The head of an `INSERT … VALUES` / `REPLACE … VALUES` statement. */
export interface InsertHeader {
  readonly verb: string;
  /** Schema when the INSERT names one (`db`.`t`), else null: the current `USE` applies. */
  readonly schema: string | null;
  readonly table: string;
  /** The `--complete-insert` column list, or null. */
  readonly columns: readonly string[] | null;
}

/** What to do with the rows of one INSERT: which field is the key, which keys to keep. */
export interface RowPlan {
  /** Fields every row must have (a mismatch is corruption), or null when unknown. */
  readonly fieldCount: number | null;
  readonly keyField: number | null;
  readonly keys: ReadonlySet<string> | null;
}

/**
 * Receives what the tokenizer finds, synchronously and in order. `rows` gets a fresh buffer of whole
 * LOAD DATA text rows (see tsv-bytes.ts) that the handler owns.
 */
export interface DumpHandler {
  /** A `-- ` comment line between statements (header, footer), read as latin1. */
  comment(line: string): void;
  /** A statement that is not a row INSERT; `text` is cut at 1 MiB (`complete` false then). */
  statement(text: Buffer, complete: boolean, offset: number): void;
  /** An INSERT's rows start: return a plan to receive them, or null to skip them unparsed. */
  insert(header: InsertHeader, offset: number): RowPlan | null;
  rows(tsv: Buffer, count: number): void;
  insertEnd(): void;
}

const STATEMENT_CAP = 1 << 20;
const FLUSH_AT = 1 << 20;

// Top-level states.
const IDLE = 0; // between statements
const LINE_COMMENT = 1; // in a `--`/`#` comment between statements
const BLOCK_COMMENT = 2; // in a `/* */` comment between statements
const DELIMITER_LINE = 3; // reading a `DELIMITER xx` client command
const STMT = 4; // in a statement that is not (yet known to be) a row INSERT
const STMT_QUOTE = 5;
const STMT_LINE_COMMENT = 6;
const STMT_BLOCK_COMMENT = 7;
const ROWS = 8; // in the VALUES of an INSERT whose rows we take
const SKIP = 9; // in the VALUES of an INSERT we skip
const SKIP_QUOTE = 10;

// Row sub-states.
const R_EXPECT_ROW = 0; // before `(`
const R_AFTER_ROW = 1; // after `)`: `,` or the delimiter
const R_FIELD = 2; // before a value
const R_STRING = 3;
const R_WORD = 4; // NULL, _binary, X, b, …
const R_NUMBER = 5;
const R_HEX = 6; // 0x…
const R_HEX_STRING = 7; // X'…'
const R_BIT_STRING = 8; // b'…'
const R_AFTER_VALUE = 9;
const R_AFTER_INTRODUCER = 10;

const INSERT_HEAD =
  /^\s*(INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY)\s+)?(IGNORE\s+)?INTO\s+((?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?)\s*(?:\(([^)]*)\))?\s*VALUES?\s*$/i;

/**
 * A streaming, byte-level tokenizer of `mysqldump` / `mariadb-dump` output. Feed it chunks with
 * `write()`, then `end()`. It splits statements the way the `mysql` client does (quotes, comments,
 * `DELIMITER`), and turns the rows of selected INSERTs straight into LOAD DATA text without decoding
 * them as text: SQL string escapes map one to one onto LOAD DATA escapes, so most bytes are copied in
 * runs. Rows of tables nobody asked for are skipped with a quote-aware scan only.
 */
export class MysqldumpTokenizer {
  readonly #handler: DumpHandler;
  #state = IDLE;
  #carry: Buffer | null = null;
  /** Absolute offset of the first byte of the current window. */
  #base = 0;
  #lines = 1;
  #delimiter = Buffer.from(';');
  #stmt: Buffer = Buffer.allocUnsafe(4096);
  #stmtLength = 0;
  #stmtTotal = 0;
  #stmtOffset = 0;
  #quote = 0;
  #line: number[] = [];
  #insertCandidate = false;
  // Rows.
  #r = R_EXPECT_ROW;
  #plan: RowPlan | null = null;
  #out: Buffer = Buffer.allocUnsafe(FLUSH_AT * 2);
  #o = 0;
  #rowStart = 0;
  #rowsInBatch = 0;
  #field = 0;
  #keyStart = 0;
  #keyEnd = 0;
  #word = '';
  #nibble = -1;
  #bits = '';
  #sawHeader = false;
  #footer = false;

  constructor(handler: DumpHandler) {
    this.#handler = handler;
  }

  /** Bytes consumed so far (uncompressed). */
  get offset(): number {
    return this.#base;
  }

  /** Whether the input began like a mysqldump file (`-- MySQL dump` / `-- MariaDB dump`). */
  get sawHeader(): boolean {
    return this.#sawHeader;
  }

  write(chunk: Buffer): void {
    let window = chunk;
    if (this.#carry) {
      window = Buffer.concat([this.#carry, chunk]);
      this.#base -= this.#carry.length;
      this.#carry = null;
    }
    const used = this.#run(window, false);
    this.#countLines(window, used);
    if (used < window.length) this.#carry = Buffer.from(window.subarray(used));
    this.#base += window.length;
  }

  /** Ends the input: anything open (a statement, a string, a row) means the file was cut short. */
  end(): void {
    const window = this.#carry ?? Buffer.alloc(0);
    if (this.#carry) this.#base -= this.#carry.length;
    this.#carry = null;
    this.#run(window, true);
    this.#base += window.length;
    if (this.#state === LINE_COMMENT) {
      // A last line without its newline: the file was cut, even if that line reads "-- Dump completed".
      this.#endCommentLine();
      this.#footer = false;
    }
    if (this.#state === STMT && this.#isBlank()) this.#state = IDLE;
    if (this.#state !== IDLE && this.#state !== LINE_COMMENT) {
      throw this.#error(window, window.length, this.#expectedAtEnd(), 'the end of the input', 'truncated');
    }
    if (this.#sawHeader && !this.#footer) {
      throw this.#error(
        window,
        window.length,
        'the "-- Dump completed" line that mysqldump writes last',
        'the end of the input without it',
        'truncated',
      );
    }
  }

  #expectedAtEnd(): string {
    if (this.#state === ROWS || this.#state === SKIP || this.#state === SKIP_QUOTE) {
      return `the rest of an INSERT (ended by ${JSON.stringify(this.#delimiter.toString('latin1'))})`;
    }
    if (this.#state === STMT_QUOTE) return `a closing ${String.fromCharCode(this.#quote)}`;
    if (this.#state === BLOCK_COMMENT || this.#state === STMT_BLOCK_COMMENT)
      return 'the end of a /* comment */';
    return `the end of a statement (${JSON.stringify(this.#delimiter.toString('latin1'))})`;
  }

  #countLines(window: Buffer, used: number): void {
    let at = window.indexOf(LF, 0);
    while (at !== -1 && at < used) {
      this.#lines++;
      at = window.indexOf(LF, at + 1);
    }
  }

  #lineAt(window: Buffer, position: number): number {
    let lines = this.#lines;
    let at = window.indexOf(LF, 0);
    while (at !== -1 && at < position) {
      lines++;
      at = window.indexOf(LF, at + 1);
    }
    return lines;
  }

  #error(window: Buffer, position: number, expected: string, found: string, kind = 'syntax'): SourceError {
    const offset = this.#base + position;
    const line = this.#lineAt(window, position);
    return new SourceError(`at byte ${offset} (line ${line}): expected ${expected}, found ${found}`, {
      facts: { offset, line, expected, found, kind },
    });
  }

  #describe(window: Buffer, position: number): string {
    if (position >= window.length) return 'the end of the input';
    const text = window.subarray(position, position + 24).toString('latin1');
    return JSON.stringify(text);
  }

  #isBlank(): boolean {
    for (let i = 0; i < this.#stmtLength; i++) {
      const b = this.#stmt[i]!;
      if (b !== 0x20 && b !== TAB && b !== LF && b !== 0x0d) return false;
    }
    return true;
  }

  /** Processes `w` and returns how many bytes were consumed; the rest waits for more input. */
  #run(w: Buffer, eof: boolean): number {
    let i = 0;
    const n = w.length;
    while (i < n) {
      switch (this.#state) {
        case IDLE: {
          const b = w[i]!;
          if (b === 0x20 || b === TAB || b === LF || b === 0x0d) {
            i++;
            continue;
          }
          if (b === 0x2d /* - */ || b === 0x23 /* # */ || b === 0x2f /* / */ || b === 0x44 || b === 0x64) {
            if (n - i < 12 && !eof) return i;
          }
          if (b === 0x23 && this.#sawHeader) {
            // mysqldump never writes `#` comments: one here is a damaged statement (a flipped first byte
            // would otherwise turn a whole INSERT into a comment and lose its rows without a word).
            throw this.#error(w, i, 'a statement or a "-- " comment', this.#describe(w, i));
          }
          if (b === 0x23 || (b === 0x2d && w[i + 1] === 0x2d && isSpaceOrEnd(w, i + 2))) {
            this.#state = LINE_COMMENT;
            this.#line = [];
            i += b === 0x23 ? 1 : 0;
            continue;
          }
          if (b === 0x2f && w[i + 1] === 0x2a && w[i + 2] !== 0x21 && !isSandboxGuard(w, i)) {
            this.#state = BLOCK_COMMENT;
            i += 2;
            continue;
          }
          if (b === 0x2f && isSandboxGuard(w, i)) {
            this.#state = BLOCK_COMMENT;
            i += 2;
            continue;
          }
          if ((b === 0x44 || b === 0x64) && isDelimiterCommand(w, i)) {
            this.#state = DELIMITER_LINE;
            this.#line = [];
            i += 10;
            continue;
          }
          this.#footer = false;
          this.#startStatement(i);
          continue;
        }
        case LINE_COMMENT: {
          const at = w.indexOf(LF, i);
          const end = at === -1 ? n : at;
          if (this.#line.length < 512) {
            for (let k = i; k < end && this.#line.length < 512; k++) this.#line.push(w[k]!);
          }
          if (at === -1) return n;
          this.#endCommentLine();
          i = at + 1;
          continue;
        }
        case BLOCK_COMMENT: {
          const at = w.indexOf('*/', i, 'latin1');
          if (at === -1) return eof ? n : Math.max(i, n - 1);
          i = at + 2;
          this.#state = IDLE;
          continue;
        }
        case DELIMITER_LINE: {
          const at = w.indexOf(LF, i);
          const end = at === -1 ? n : at;
          for (let k = i; k < end; k++) this.#line.push(w[k]!);
          if (at === -1 && !eof) return n;
          const delimiter = Buffer.from(this.#line).toString('latin1').trim();
          if (!delimiter || /\s/.test(delimiter)) {
            throw this.#error(w, i, 'a delimiter after DELIMITER', JSON.stringify(delimiter));
          }
          this.#delimiter = Buffer.from(delimiter, 'latin1');
          this.#state = IDLE;
          i = at === -1 ? n : at + 1;
          continue;
        }
        case STMT:
        case STMT_QUOTE:
        case STMT_LINE_COMMENT:
        case STMT_BLOCK_COMMENT: {
          const next = this.#statement(w, i, eof);
          if (next < 0) return -next - 1;
          i = next;
          continue;
        }
        case ROWS: {
          const next = this.#rows(w, i, eof);
          if (next < 0) return -next - 1;
          i = next;
          continue;
        }
        default: {
          const next = this.#skip(w, i, eof);
          if (next < 0) return -next - 1;
          i = next;
        }
      }
    }
    return n;
  }

  #endCommentLine(): void {
    const line = Buffer.from(this.#line).toString('latin1').replace(/\r$/, '');
    this.#state = IDLE;
    if (/^-- (MySQL|MariaDB) dump /.test(line)) this.#sawHeader = true;
    if (/^-- Dump completed( on \d{4}-\d\d-\d\d +\d\d?:\d\d:\d\d)?$/.test(line)) this.#footer = true;
    this.#handler.comment(line);
  }

  #startStatement(i: number): void {
    this.#state = STMT;
    this.#stmtLength = 0;
    this.#stmtTotal = 0;
    this.#stmtOffset = this.#base + i;
    this.#insertCandidate = false;
  }

  #append(w: Buffer, start: number, end: number): void {
    const count = end - start;
    if (this.#stmtTotal === 0) {
      const first = w[start]! | 0x20;
      this.#insertCandidate = first === 0x69 /* i */ || first === 0x72; /* r */
    }
    this.#stmtTotal += count;
    const room = STATEMENT_CAP - this.#stmtLength;
    const take = Math.min(room, count);
    if (take <= 0) return;
    if (this.#stmtLength + take > this.#stmt.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(STATEMENT_CAP, Math.max(this.#stmt.length * 2, this.#stmtLength + take)),
      );
      this.#stmt.copy(grown, 0, 0, this.#stmtLength);
      this.#stmt = grown;
    }
    w.copy(this.#stmt, this.#stmtLength, start, start + take);
    this.#stmtLength += take;
  }

  /** One step through a generic statement. Returns the next index, or -(index+1) to wait for more. */
  #statement(w: Buffer, i: number, eof: boolean): number {
    const n = w.length;
    const d0 = this.#delimiter[0]!;
    const start = i;
    switch (this.#state) {
      case STMT: {
        for (; i < n; i++) {
          const b = w[i]!;
          if (b === 0x27 || b === 0x22 || b === 0x60) {
            this.#append(w, start, i + 1);
            this.#quote = b;
            this.#state = STMT_QUOTE;
            return i + 1;
          }
          if (b === 0x23 || b === 0x2d || b === 0x2f || b === d0 || b === 0x28) {
            if (n - i < Math.max(3, this.#delimiter.length) && !eof) {
              this.#append(w, start, i);
              return -(i + 1);
            }
            if (b === 0x23 || (b === 0x2d && w[i + 1] === 0x2d && isSpaceOrEnd(w, i + 2))) {
              this.#append(w, start, i);
              this.#state = STMT_LINE_COMMENT;
              return i;
            }
            if (b === 0x2f && w[i + 1] === 0x2a && w[i + 2] !== 0x21 && w[i + 2] !== 0x4d) {
              this.#append(w, start, i);
              this.#state = STMT_BLOCK_COMMENT;
              return i + 2;
            }
            if (b === d0 && matchesAt(w, i, this.#delimiter)) {
              this.#append(w, start, i);
              this.#finishStatement();
              return i + this.#delimiter.length;
            }
            if (b === 0x28 && this.#insertCandidate) {
              this.#append(w, start, i);
              if (this.#tryInsert(i)) return i;
              this.#append(w, i, i + 1);
              return i + 1;
            }
          }
        }
        this.#append(w, start, n);
        return n;
      }
      case STMT_QUOTE: {
        const q = this.#quote;
        for (; i < n; i++) {
          const b = w[i]!;
          if (b === BACKSLASH && q !== 0x60) {
            if (i + 1 >= n) {
              if (eof) return n;
              this.#append(w, start, i);
              return -(i + 1);
            }
            i++;
          } else if (b === q) {
            this.#append(w, start, i + 1);
            this.#state = STMT;
            return i + 1;
          }
        }
        this.#append(w, start, n);
        return n;
      }
      case STMT_LINE_COMMENT: {
        const at = w.indexOf(LF, i);
        if (at === -1) return n;
        this.#state = STMT;
        return at;
      }
      default: {
        const at = w.indexOf('*/', i, 'latin1');
        if (at === -1) return eof ? n : -(Math.max(i, n - 1) + 1);
        this.#state = STMT;
        return at + 2;
      }
    }
  }

  #finishStatement(): void {
    this.#state = IDLE;
    const complete = this.#stmtTotal === this.#stmtLength;
    if (this.#isBlank()) return;
    this.#handler.statement(
      Buffer.from(this.#stmt.subarray(0, this.#stmtLength)),
      complete,
      this.#stmtOffset,
    );
  }

  /** At a `(` of a candidate INSERT: if the head so far ends in VALUES, the rows start here. */
  #tryInsert(i: number): boolean {
    if (this.#stmtLength !== this.#stmtTotal) return false;
    const head = this.#stmt.toString('latin1', 0, this.#stmtLength);
    const match = INSERT_HEAD.exec(head);
    if (!match) return false;
    const name = Buffer.from(match[3]!, 'latin1').toString('utf8');
    const parts = splitQualified(name);
    const header: InsertHeader = Object.freeze({
      verb: `${match[1]!.toUpperCase()}${match[2] ? ' IGNORE' : ''}`,
      schema: parts.length === 2 ? parts[0]! : null,
      table: parts[parts.length - 1]!,
      columns:
        match[4] === undefined
          ? null
          : Object.freeze(splitColumnList(Buffer.from(match[4], 'latin1').toString('utf8'))),
    });
    const plan = this.#handler.insert(header, this.#base + i);
    this.#plan = plan;
    if (plan) {
      this.#state = ROWS;
      this.#r = R_EXPECT_ROW;
      this.#o = 0;
      this.#rowStart = 0;
      this.#rowsInBatch = 0;
    } else {
      this.#state = SKIP;
    }
    return true;
  }

  /** Skips the rows of an INSERT nobody wants: only quotes and the delimiter matter. */
  #skip(w: Buffer, i: number, eof: boolean): number {
    const n = w.length;
    const d0 = this.#delimiter[0]!;
    let q = this.#state === SKIP_QUOTE ? this.#quote : 0;
    while (i < n) {
      if (q === 0) {
        let b = 0;
        for (; i < n; i++) {
          b = w[i]!;
          if (b === 0x27 || b === 0x22 || b === d0) break;
        }
        if (i >= n) break;
        if (b === d0) {
          if (n - i < this.#delimiter.length && !eof) {
            this.#state = SKIP;
            return -(i + 1);
          }
          if (matchesAt(w, i, this.#delimiter)) {
            this.#state = IDLE;
            this.#handler.insertEnd();
            return i + this.#delimiter.length;
          }
          i++;
          continue;
        }
        q = b;
        i++;
        continue;
      }
      // Inside a string: jump from quote to quote with indexOf (memchr speed); a quote closes the string
      // when an even number of backslashes precede it.
      for (;;) {
        const at = w.indexOf(q, i);
        if (at === -1) {
          let k = n;
          while (k > i && w[k - 1] === BACKSLASH) k--;
          this.#state = SKIP_QUOTE;
          this.#quote = q;
          // An odd run of backslashes at the end escapes whatever comes first in the next chunk.
          if ((n - k) % 2 === 1 && !eof) return -n;
          return n;
        }
        let k = at;
        while (k > i && w[k - 1] === BACKSLASH) k--;
        i = at + 1;
        if ((at - k) % 2 === 0) {
          q = 0;
          break;
        }
      }
    }
    this.#state = q === 0 ? SKIP : SKIP_QUOTE;
    this.#quote = q;
    return n;
  }

  #ensure(extra: number): void {
    if (this.#o + extra <= this.#out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#o + extra));
    this.#out.copy(grown, 0, 0, this.#o);
    this.#out = grown;
  }

  #flush(): void {
    if (this.#rowStart === 0) return;
    this.#handler.rows(Buffer.from(this.#out.subarray(0, this.#rowStart)), this.#rowsInBatch);
    const pending = this.#o - this.#rowStart;
    if (pending > 0) this.#out.copy(this.#out, 0, this.#rowStart, this.#o);
    this.#o = pending;
    this.#rowStart = 0;
    this.#rowsInBatch = 0;
    if (this.#out.length > FLUSH_AT * 4 && this.#o < FLUSH_AT) this.#out = Buffer.allocUnsafe(FLUSH_AT * 2);
  }

  #endRow(w: Buffer, i: number): void {
    const plan = this.#plan!;
    const fields = this.#field + 1;
    if (plan.fieldCount !== null && fields !== plan.fieldCount) {
      throw this.#error(w, i, `a row of ${plan.fieldCount} values`, `${fields} values`, 'column-count');
    }
    this.#out[this.#o++] = LF;
    if (plan.keys && plan.keyField !== null) {
      const key = this.#out.toString('latin1', this.#keyStart, this.#keyEnd);
      if (!plan.keys.has(key)) {
        this.#o = this.#rowStart;
        return;
      }
    }
    this.#rowStart = this.#o;
    this.#rowsInBatch++;
    if (this.#o >= FLUSH_AT) this.#flush();
  }

  #endValue(): void {
    if (this.#field === this.#plan!.keyField) this.#keyEnd = this.#o;
    this.#r = R_AFTER_VALUE;
  }

  #startValue(): void {
    if (this.#field === this.#plan!.keyField) this.#keyStart = this.#o;
  }

  /** The VALUES of a selected INSERT, turned into LOAD DATA text. */
  #rows(w: Buffer, i: number, eof: boolean): number {
    const n = w.length;
    while (i < n) {
      const b = w[i]!;
      switch (this.#r) {
        case R_EXPECT_ROW: {
          if (isSpace(b)) {
            i++;
            continue;
          }
          if (b !== 0x28) throw this.#error(w, i, 'a row "("', this.#describe(w, i));
          this.#field = 0;
          this.#ensure(16);
          this.#r = R_FIELD;
          i++;
          continue;
        }
        case R_AFTER_ROW: {
          if (isSpace(b)) {
            i++;
            continue;
          }
          if (b === 0x2c) {
            this.#r = R_EXPECT_ROW;
            i++;
            continue;
          }
          if (b === this.#delimiter[0]) {
            if (n - i < this.#delimiter.length && !eof) return -(i + 1);
            if (matchesAt(w, i, this.#delimiter)) {
              this.#flush();
              this.#state = IDLE;
              this.#handler.insertEnd();
              return i + this.#delimiter.length;
            }
          }
          throw this.#error(w, i, '"," or the end of the INSERT', this.#describe(w, i));
        }
        case R_FIELD: {
          if (isSpace(b)) {
            i++;
            continue;
          }
          this.#startValue();
          if (b === 0x27 || b === 0x22) {
            this.#quote = b;
            this.#r = R_STRING;
            i++;
            continue;
          }
          if (b === 0x30 /* 0 */) {
            if (n - i < 2 && !eof) return -(i + 1);
            if ((w[i + 1]! | 0x20) === 0x78 /* x */) {
              this.#nibble = -1;
              this.#r = R_HEX;
              i += 2;
              continue;
            }
          }
          if ((b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e) {
            this.#r = R_NUMBER;
            continue;
          }
          if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f) {
            this.#word = '';
            this.#r = R_WORD;
            continue;
          }
          throw this.#error(w, i, 'a value', this.#describe(w, i));
        }
        case R_STRING: {
          const q = this.#quote;
          this.#ensure(n - i + 8);
          const out = this.#out;
          let o = this.#o;
          for (; i < n; i++) {
            const c = w[i]!;
            if (c === q || c === BACKSLASH || c === TAB || c === LF || c === 0) break;
            out[o++] = c;
          }
          this.#o = o;
          if (i >= n) continue;
          const c = w[i]!;
          if (c === q) {
            if (i + 1 >= n && !eof) return -(i + 1);
            if (w[i + 1] === q) {
              this.#ensure(2);
              this.#out[this.#o++] = q;
              i += 2;
              continue;
            }
            this.#endValue();
            i++;
            continue;
          }
          if (c === BACKSLASH) {
            if (i + 1 >= n) {
              if (eof) {
                i++;
                continue;
              }
              return -(i + 1);
            }
            this.#ensure(4);
            const e = w[i + 1]!;
            this.#putEscape(e);
            i += 2;
            continue;
          }
          // A raw TAB, LF or NUL inside a string: escape it for LOAD DATA.
          this.#ensure(2);
          this.#out[this.#o++] = BACKSLASH;
          this.#out[this.#o++] = c === TAB ? 0x74 : c === LF ? 0x6e : 0x30;
          i++;
          continue;
        }
        case R_NUMBER: {
          this.#ensure(n - i + 8);
          const out = this.#out;
          let o = this.#o;
          for (; i < n; i++) {
            const c = w[i]!;
            if ((c < 0x30 || c > 0x39) && c !== 0x2d && c !== 0x2b && c !== 0x2e && c !== 0x65 && c !== 0x45)
              break;
            out[o++] = c;
          }
          this.#o = o;
          if (i < n || eof) this.#endValue();
          continue;
        }
        case R_WORD: {
          for (; i < n; i++) {
            const c = w[i]!;
            if (
              !(
                (c >= 0x41 && c <= 0x5a) ||
                (c >= 0x61 && c <= 0x7a) ||
                (c >= 0x30 && c <= 0x39) ||
                c === 0x5f
              )
            )
              break;
            if (this.#word.length > 64)
              throw this.#error(w, i, 'a value', `a word ${JSON.stringify(this.#word)}…`);
            this.#word += String.fromCharCode(c);
          }
          if (i >= n && !eof) continue;
          const word = this.#word.toUpperCase();
          if (word === 'NULL') {
            this.#ensure(2);
            this.#out[this.#o++] = BACKSLASH;
            this.#out[this.#o++] = 0x4e;
            this.#endValue();
            continue;
          }
          if ((word === 'X' || word === 'B') && w[i] === 0x27) {
            this.#nibble = -1;
            this.#bits = '';
            this.#r = word === 'X' ? R_HEX_STRING : R_BIT_STRING;
            i++;
            continue;
          }
          if (word.startsWith('_')) {
            // A charset introducer (`_binary`, `_utf8mb4`): the bytes that follow are taken as they are.
            this.#r = R_AFTER_INTRODUCER;
            continue;
          }
          if (word === 'TRUE' || word === 'FALSE') {
            this.#ensure(1);
            this.#out[this.#o++] = word === 'TRUE' ? 0x31 : 0x30;
            this.#endValue();
            continue;
          }
          throw this.#error(w, i, 'a value', JSON.stringify(this.#word));
        }
        case R_AFTER_INTRODUCER: {
          if (isSpace(b)) {
            i++;
            continue;
          }
          if (b === 0x27 || b === 0x22) {
            this.#quote = b;
            this.#r = R_STRING;
            i++;
            continue;
          }
          if (b === 0x30 && (w[i + 1]! | 0x20) === 0x78) {
            this.#nibble = -1;
            this.#r = R_HEX;
            i += 2;
            continue;
          }
          if ((b | 0x20) === 0x78 && w[i + 1] === 0x27) {
            this.#nibble = -1;
            this.#r = R_HEX_STRING;
            i += 2;
            continue;
          }
          if (n - i < 2 && !eof) return -(i + 1);
          throw this.#error(w, i, 'a string after a charset introducer', this.#describe(w, i));
        }
        case R_HEX:
        case R_HEX_STRING: {
          this.#ensure(n - i + 8);
          for (; i < n; i++) {
            const v = hexValue(w[i]!);
            if (v < 0) break;
            if (this.#nibble < 0) this.#nibble = v;
            else {
              this.#putByte((this.#nibble << 4) | v);
              this.#nibble = -1;
            }
          }
          if (i >= n) continue;
          if (this.#r === R_HEX_STRING) {
            if (w[i] !== 0x27 || this.#nibble >= 0) {
              throw this.#error(
                w,
                i,
                "hex digits and a closing ' (an even number of digits)",
                this.#describe(w, i),
              );
            }
            i++;
          } else if (this.#nibble >= 0) {
            throw this.#error(w, i, 'an even number of hex digits', this.#describe(w, i));
          }
          this.#endValue();
          continue;
        }
        case R_BIT_STRING: {
          for (; i < n; i++) {
            const c = w[i]!;
            if (c !== 0x30 && c !== 0x31) break;
            if (this.#bits.length > 64) throw this.#error(w, i, 'at most 64 bits', 'more');
            this.#bits += c === 0x31 ? '1' : '0';
          }
          if (i >= n) continue;
          if (w[i] !== 0x27) throw this.#error(w, i, "0, 1 or a closing '", this.#describe(w, i));
          i++;
          this.#ensure(24);
          const width = Math.max(1, Math.ceil(this.#bits.length / 8));
          let value = this.#bits.length ? BigInt(`0b${this.#bits}`) : 0n;
          const bytes: number[] = [];
          for (let k = 0; k < width; k++) {
            bytes.unshift(Number(value & 0xffn));
            value >>= 8n;
          }
          for (const byte of bytes) this.#putByte(byte);
          this.#endValue();
          continue;
        }
        default: {
          // R_AFTER_VALUE
          if (isSpace(b)) {
            i++;
            continue;
          }
          if (b === 0x2c) {
            this.#ensure(1);
            this.#out[this.#o++] = TAB;
            this.#field++;
            this.#r = R_FIELD;
            i++;
            continue;
          }
          if (b === 0x29) {
            this.#ensure(1);
            this.#endRow(w, i);
            this.#r = R_AFTER_ROW;
            i++;
            continue;
          }
          throw this.#error(w, i, '"," or ")" after a value', this.#describe(w, i));
        }
      }
    }
    return n;
  }

  /** A SQL string escape `\e`, written as the LOAD DATA escape with the same meaning. */
  #putEscape(e: number): void {
    const out = this.#out;
    switch (e) {
      case 0x30: // \0
      case 0x62: // \b
      case 0x6e: // \n
      case 0x72: // \r
      case 0x74: // \t
      case 0x5a: // \Z
      case BACKSLASH:
        out[this.#o++] = BACKSLASH;
        out[this.#o++] = e;
        return;
      case 0x25: // \% and \_ keep their backslash in a SQL string
      case 0x5f:
        out[this.#o++] = BACKSLASH;
        out[this.#o++] = BACKSLASH;
        out[this.#o++] = e;
        return;
      default:
        this.#putByte(e);
    }
  }

  #putByte(byte: number): void {
    const out = this.#out;
    if (byte === TAB || byte === LF || byte === BACKSLASH || byte === 0) {
      out[this.#o++] = BACKSLASH;
      out[this.#o++] = byte === TAB ? 0x74 : byte === LF ? 0x6e : byte === 0 ? 0x30 : BACKSLASH;
    } else {
      out[this.#o++] = byte;
    }
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === LF || b === 0x0d || b === TAB;
}

function isSpaceOrEnd(w: Buffer, i: number): boolean {
  return i >= w.length || w[i]! <= 0x20;
}

function matchesAt(w: Buffer, i: number, needle: Buffer): boolean {
  if (i + needle.length > w.length) return false;
  for (let k = 0; k < needle.length; k++) if (w[i + k] !== needle[k]) return false;
  return true;
}

/** MariaDB's first line, `/*M!999999\- enable the sandbox mode *\/`: a client command, not SQL. */
function isSandboxGuard(w: Buffer, i: number): boolean {
  return w.toString('latin1', i, i + 12) === '/*M!999999\\-';
}

function isDelimiterCommand(w: Buffer, i: number): boolean {
  if (i > 0 && w[i - 1] !== LF) return false;
  const word = w.toString('latin1', i, i + 10);
  return /^delimiter[ \t]$/i.test(word);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** `` `db`.`t` `` or `t` into its unquoted parts. */
export function splitQualified(name: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:`((?:[^`]|``)*)`|([\w$]+))\s*(\.|$)/gy;
  let match = re.exec(name);
  while (match) {
    parts.push(match[1] !== undefined ? match[1].replaceAll('``', '`') : match[2]!);
    if (match[3] !== '.') break;
    match = re.exec(name);
  }
  return parts;
}

function splitColumnList(list: string): string[] {
  const columns: string[] = [];
  const re = /\s*(?:`((?:[^`]|``)*)`|([\w$]+))\s*(,|$)/gy;
  let match = re.exec(list);
  while (match && (match[1] !== undefined || match[2] !== undefined)) {
    columns.push(match[1] !== undefined ? match[1].replaceAll('``', '`') : match[2]!);
    if (match[3] !== ',') break;
    match = re.exec(list);
  }
  return columns;
}
