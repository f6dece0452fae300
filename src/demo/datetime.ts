/** Seconds since the epoch for a UTC `YYYY-MM-DD HH:MM:SS`. */
export function epoch(datetime: string): number {
  return Date.parse(`${datetime.replace(' ', 'T')}Z`) / 1000;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the text MySQL uses for DATETIME (the builder never relies on time zones). */
export function datetime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
