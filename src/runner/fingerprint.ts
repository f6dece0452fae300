import type { Target } from '../db/index.ts';
import type { TargetReport } from './report.ts';

/** Host, server uuid, schema and user: what an operator checks before confirming an apply. */
export function targetFingerprint(target: Target): TargetReport {
  const { server } = target;
  return {
    description: target.description,
    host: server.hostname,
    serverUuid: server.serverUuid,
    schema: server.defaultSchema ?? '',
    user: server.currentUser,
    flavour: server.flavour,
    version: server.version,
  };
}

export function formatFingerprint(fingerprint: TargetReport): string {
  return [
    `host:        ${fingerprint.host} (${fingerprint.flavour} ${fingerprint.version})`,
    `server uuid: ${fingerprint.serverUuid}`,
    `schema:      ${fingerprint.schema}`,
    `user:        ${fingerprint.user}`,
    `connection:  ${fingerprint.description}`,
  ].join('\n');
}
