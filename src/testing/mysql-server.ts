import type { Flavour } from '../db/index.ts';

/** Which link of the provider chain gave the server. */
export type ProviderKind = 'url' | 'container' | 'ephemeral';

/** A running test server. Stop it with `stop()` or `await using`. */
export interface MysqlServer extends AsyncDisposable {
  /** `mysql://root@127.0.0.1:PORT` (plus password where the provider has one); no default schema. */
  readonly url: string;
  readonly flavour: Flavour;
  readonly version: string;
  readonly provider: ProviderKind;
  /** Restarts the server process (ephemeral servers only; others throw). Data survives. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}
