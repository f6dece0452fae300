/**
 * What the buggy importer (ep-importer 2.3.0) wrote onto a user it took for the legacy person: the
 * allow-list of the `allowlist` strategy. Read from the importer's code (wp_update_user with these
 * fields, update_user_meta with these keys, inserting keys the user did not have).
 */
export const IMPORTER_USER_COLUMNS = Object.freeze(['user_nicename', 'user_email', 'display_name'] as const);

export const IMPORTER_META_KEYS = Object.freeze([
  'first_name',
  'last_name',
  'nickname',
  'billing_first_name',
  'billing_last_name',
  'billing_address_1',
  'billing_city',
  'billing_postcode',
  'billing_country',
  'billing_email',
  'billing_phone',
  'ep_legacy_uid',
] as const);

/** Every column of WordPress core's `wp_users` and `wp_usermeta`, for the fingerprints of unscoped users. */
export const USER_COLUMNS = Object.freeze([
  'ID',
  'user_login',
  'user_pass',
  'user_nicename',
  'user_email',
  'user_url',
  'user_registered',
  'user_activation_key',
  'user_status',
  'display_name',
]);
export const USERMETA_COLUMNS = Object.freeze(['umeta_id', 'user_id', 'meta_key', 'meta_value']);
