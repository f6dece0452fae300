import { createHash } from 'node:crypto';
import { datetime } from './datetime.ts';
import { phpSerialize } from './php-serialize.ts';
import { Prng } from './prng.ts';
import {
  CITIES,
  DESCRIPTIONS,
  FIRST_NAMES,
  HASH_ALPHABET,
  LAST_NAMES,
  LOCALES,
  NICKNAME_STYLES,
  STREETS,
  USER_AGENTS,
} from './vocabulary.ts';

/** A `wp_users` row as the builder inserts it (column order of the WordPress schema). */
export interface WpUserRow {
  readonly ID: number;
  readonly user_login: string;
  readonly user_pass: string;
  readonly user_nicename: string;
  readonly user_email: string;
  readonly user_url: string;
  readonly user_registered: string;
  readonly user_activation_key: string;
  readonly user_status: number;
  readonly display_name: string;
}

export const WP_USER_COLUMNS = [
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
] as const;

/** One `wp_usermeta` entry before it gets its `umeta_id`. */
export type MetaEntry = readonly [key: string, value: string];

export interface GeneratedUser {
  readonly row: WpUserRow;
  readonly meta: readonly MetaEntry[];
}

const ROLES = [
  ...Array<string>(70).fill('subscriber'),
  ...Array<string>(22).fill('customer'),
  'contributor',
  'contributor',
  'author',
  'author',
  'editor',
  'shop_manager',
];
const LEVEL: Readonly<Record<string, string>> = {
  subscriber: '0',
  customer: '0',
  contributor: '1',
  author: '2',
  editor: '7',
  shop_manager: '0',
  administrator: '10',
};

/** `$wp$2y$10$…` (WordPress ≥ 6.8, bcrypt) or a phpass `$P$B…` from older sites. */
export function passwordHash(rng: Prng): string {
  return rng.chance(0.5)
    ? `$P$B${rng.chars(HASH_ALPHABET, 31)}`
    : `$wp$2y$10$${rng.chars(HASH_ALPHABET, 53)}`;
}

/** The `session_tokens` meta WordPress keeps per logged-in browser: sha256 verifier → session. */
export function sessionTokens(rng: Prng, userId: number, lastLogin: number, count: number): string {
  const tokens: Record<string, { expiration: number; ip: string; ua: string; login: number }> = {};
  for (let i = 0; i < count; i++) {
    const login = lastLogin - i * rng.int(3600, 86_400 * 20);
    const verifier = createHash('sha256').update(`${userId}:${login}:${rng.uint32()}`).digest('hex');
    tokens[verifier] = {
      expiration: login + 1_209_600,
      ip: `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      ua: rng.pick(USER_AGENTS),
      login,
    };
  }
  return phpSerialize(tokens);
}

export interface BillingAddress {
  readonly first: string;
  readonly last: string;
  readonly email: string;
  readonly phone: string;
  readonly address: string;
  readonly city: string;
  readonly postcode: string;
  readonly country: string;
}

export function billingMeta(billing: BillingAddress): MetaEntry[] {
  return [
    ['billing_first_name', billing.first],
    ['billing_last_name', billing.last],
    ['billing_address_1', billing.address],
    ['billing_city', billing.city],
    ['billing_postcode', billing.postcode],
    ['billing_country', billing.country],
    ['billing_email', billing.email],
    ['billing_phone', billing.phone],
  ];
}

export function randomAddress(
  rng: Prng,
): Pick<BillingAddress, 'address' | 'city' | 'postcode' | 'country' | 'phone'> {
  const [city, postcode, country] = rng.pick(CITIES);
  return {
    address: `${rng.pick(STREETS)} ${rng.int(1, 240)}${rng.chance(0.2) ? 'a' : ''}`,
    city,
    postcode,
    country,
    phone: `+${rng.int(30, 49)} ${rng.int(100, 999)} ${rng.int(1_000_000, 9_999_999)}`,
  };
}

export interface UserOptions {
  readonly registeredFrom: number;
  readonly registeredUntil: number;
  /** The person's UID in the legacy system, for users migrated from it (stored as `ep_legacy_uid`). */
  readonly legacyUid?: number;
}

/**
 * A WordPress user with the usermeta `wp_insert_user()` writes (the 14 core keys), plus what a club
 * site adds: WooCommerce billing, an EP membership, session tokens, the legacy UID. A pure function of
 * `(seed, id)`, so any user can be generated alone and a large site can be streamed.
 */
export function generateUser(seed: number, id: number, options: UserOptions): GeneratedUser {
  const rng = Prng.for(seed, 'user', id);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const loginBase = [first.ascii, last.ascii].filter(Boolean).join('.') || 'member';
  const login = `${loginBase}${id}`.slice(0, 60);
  const role = id === 1 ? 'administrator' : rng.pick(ROLES);
  const registered = rng.int(options.registeredFrom, options.registeredUntil);
  const displayName = rng.chance(0.85) ? `${first.text} ${last.text}` : login;
  const row: WpUserRow = {
    ID: id,
    user_login: login,
    user_pass: passwordHash(rng),
    user_nicename: login.replace(/\./g, '-').slice(0, 50),
    user_email: `${login}@example.org`,
    user_url: rng.chance(0.8) ? '' : `https://${loginBase.replace(/\./g, '-')}.example.net/?ref='${id}'`,
    user_registered: datetime(registered),
    user_activation_key: rng.chance(0.9)
      ? ''
      : `${registered + 3600}:$generic$${rng.chars(HASH_ALPHABET, 32)}`,
    user_status: 0,
    display_name: displayName,
  };
  const meta: MetaEntry[] = [
    ['nickname', rng.pick(NICKNAME_STYLES)(login, first.text)],
    ['first_name', first.text],
    ['last_name', last.text],
    ['description', rng.pick(DESCRIPTIONS)],
    ['rich_editing', 'true'],
    ['syntax_highlighting', 'true'],
    ['comment_shortcuts', 'false'],
    ['admin_color', 'fresh'],
    ['use_ssl', '0'],
    ['show_admin_bar_front', 'true'],
    ['locale', rng.pick(LOCALES)],
    ['wp_capabilities', phpSerialize({ [role]: true })],
    ['wp_user_level', LEVEL[role] ?? '0'],
    ['dismissed_wp_pointers', rng.pick(['', 'wp496_privacy', 'wp496_privacy,theme_editor_notice'])],
  ];
  if (rng.chance(0.6)) {
    const lastLogin = rng.int(
      Math.max(registered, options.registeredUntil - 86_400 * 90),
      options.registeredUntil,
    );
    meta.push(['session_tokens', sessionTokens(rng, id, lastLogin, rng.int(1, 3))]);
  }
  if (role === 'customer' || rng.chance(0.3)) {
    const address = randomAddress(rng);
    meta.push(...billingMeta({ first: first.text, last: last.text, email: row.user_email, ...address }), [
      'last_update',
      String(rng.int(registered, options.registeredUntil)),
    ]);
  }
  if (rng.chance(0.4)) {
    const since = rng.int(registered, options.registeredUntil);
    meta.push([
      'ep_membership',
      phpSerialize({
        level: rng.pick(['basic', 'club', 'club+']),
        since: datetime(since),
        expires: datetime(since + 86_400 * 365 * rng.int(1, 3)),
        club: rng.pick(['LG Süd', 'Running "Rebels"', "Club d'Athlétisme", '東京ランナーズ', '']),
        newsletter: rng.chance(0.5),
      }),
    ]);
  }
  if (options.legacyUid !== undefined) meta.push(['ep_legacy_uid', String(options.legacyUid)]);
  return Object.freeze({ row: Object.freeze(row), meta: Object.freeze(meta) });
}
