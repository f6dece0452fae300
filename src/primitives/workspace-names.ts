import { createHash } from 'node:crypto';
import { MAX_IDENTIFIER_LENGTH } from '../db/index.ts';

const HASH_LENGTH = 10;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * Keeps `[A-Za-z0-9_]`, replaces anything else with `_`, and makes the result fit `max` characters.
 * When characters were replaced or cut, a hash of the original is appended, so two different inputs
 * never share a name (`wp-users` and `wp_users` stay apart) and the same input always gets the same one.
 */
function fitIdentifier(text: string, max: number): string {
  const cleaned = text.replace(/[^A-Za-z0-9_]/g, '_');
  if (cleaned === text && cleaned.length <= max) return cleaned;
  const hash = shortHash(text);
  return `${cleaned.slice(0, max - HASH_LENGTH - 1)}_${hash}`;
}

/**
 * The default workspace schema of a restore module: `rb_<module id>`, sanitised to `[a-z0-9_]`
 * (lower case, so `lower_case_table_names` never matters), at most 64 characters, deterministic.
 *
 * @example workspaceSchemaName('20261126-wpca-uid-collision') // 'rb_20261126_wpca_uid_collision_<hash>'
 */
export function workspaceSchemaName(moduleId: string): string {
  return fitIdentifier(`rb_${moduleId.toLowerCase()}`, MAX_IDENTIFIER_LENGTH);
}

/**
 * The workspace schema of one run: `rb_<module id>_r<run id>`, sanitised and fitted like
 * `workspaceSchemaName`, so two runs of a module never share a table.
 *
 * @example runWorkspaceSchemaName('20261126-wpca', '42') // 'rb_20261126_wpca_r42_<hash>'
 */
export function runWorkspaceSchemaName(moduleId: string, runId: string): string {
  return fitIdentifier(`rb_${moduleId.toLowerCase()}_r${runId}`, MAX_IDENTIFIER_LENGTH);
}

/**
 * A workspace table name `<prefix>__<name>`, at most 64 characters: sanitised, and hash-suffixed when
 * it had to be changed or cut, so it is deterministic and unique per (prefix, name).
 *
 * @example workspaceTableName('bi', 'restore__wp_users') // 'bi__restore__wp_users'
 */
export function workspaceTableName(prefix: string, name: string): string {
  return fitIdentifier(`${prefix}__${name}`, MAX_IDENTIFIER_LENGTH);
}
