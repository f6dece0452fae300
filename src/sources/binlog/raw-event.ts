/** One event's bytes and where it sits in the server's log. */
export interface RawEvent {
  readonly file: string;
  /** Offset of the event's first byte in `file`. */
  readonly position: number;
  readonly bytes: Buffer;
}
