import { connect, type Target } from 'rowback';

/** Server A of the peer kit (source, S1/S2/S4) and B (S3 target); ports as peers.sh uses them. */
export const PORT_A = Number(process.env.PORT_A ?? 3308);
export const PORT_B = Number(process.env.PORT_B ?? 3309);

/** Connects as the kit's passwordless root to `schema` on server A (or the given port). */
export function benchTarget(schema: string, port = PORT_A): Promise<Target> {
  return connect(`mysql://root@127.0.0.1:${port}/${encodeURIComponent(schema)}`);
}

/** The value of `--name value` in argv, or the fallback. */
export function argValue(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

/** Milliseconds since `start`, for the phase timings a script prints to its log. */
export function since(start: number): string {
  return `${(performance.now() - start).toFixed(0)} ms`;
}
