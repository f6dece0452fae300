import { datetime, epoch } from './datetime.ts';
import { Prng } from './prng.ts';
import { CATEGORIES, EVENT_KINDS, VENUES } from './vocabulary.ts';

/** A `wp_ep_events` row. */
export interface EventRow {
  readonly id: number;
  readonly slug: string;
  readonly title: string;
  readonly venue: string;
  readonly starts_at: string;
  readonly ends_at: string | null;
  readonly capacity: number;
  readonly fee: string;
  readonly status: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export const EVENT_COLUMNS = [
  'id',
  'slug',
  'title',
  'venue',
  'starts_at',
  'ends_at',
  'capacity',
  'fee',
  'status',
  'created_at',
  'updated_at',
] as const;

export const PARTICIPANT_COLUMNS = [
  'id',
  'event_id',
  'user_id',
  'legacy_uid',
  'import_batch',
  'bib',
  'category',
  'status',
  'registered_at',
  'created_at',
  'updated_at',
] as const;

export const RESULT_COLUMNS = [
  'id',
  'participant_id',
  'event_id',
  'score',
  'rank',
  'finish_time',
  'details',
  'recorded_at',
  'created_at',
  'updated_at',
] as const;

/** Events spread evenly between two dates; the first events of a site are older than its last users. */
export function planEvents(
  seed: number,
  firstId: number,
  count: number,
  from: string,
  until: string,
): EventRow[] {
  const start = epoch(from);
  const step = Math.floor((epoch(until) - start) / Math.max(1, count));
  return Array.from({ length: count }, (_, i) => {
    const id = firstId + i;
    const rng = Prng.for(seed, 'event', id);
    const startsAt = start + i * step + rng.int(0, 6) * 86_400 + 9 * 3600;
    const kind = rng.pick(EVENT_KINDS);
    const year = datetime(startsAt).slice(0, 4);
    const created = startsAt - rng.int(60, 200) * 86_400;
    return Object.freeze({
      id,
      slug: `${kind.toLowerCase().replace(/[^a-z]+/g, '-')}-${year}-${id}`,
      title: `${kind} ${year} #${id}`,
      venue: rng.pick(VENUES),
      starts_at: datetime(startsAt),
      ends_at: rng.chance(0.7) ? datetime(startsAt + rng.int(3, 9) * 3600) : null,
      capacity: rng.int(5, 50) * 100,
      fee: `${rng.int(0, 60)}.${rng.pick(['00', '50', '90'])}`,
      status: 'published',
      created_at: datetime(created),
      updated_at: datetime(created + rng.int(0, 30) * 86_400),
    });
  });
}

/** Participant columns except `id`, which the builder assigns in insertion order. */
export interface Registration {
  readonly event: EventRow;
  readonly status: string;
  readonly bib: string;
  readonly category: string;
  readonly registeredAt: number;
}

/** What a result row holds besides its ids. */
export interface ResultValues {
  readonly score: string;
  readonly rank: number | null;
  readonly finishTime: string | null;
  readonly details: string;
}

export function bib(rng: Prng): string {
  return `B-${String(rng.int(1, 99_999)).padStart(5, '0')}`;
}

export function category(rng: Prng): string {
  return rng.pick(CATEGORIES);
}

/** A result as the timing company delivers it: a JSON blob with splits and free-text notes. */
export function resultValues(rng: Prng): ResultValues {
  const finished = rng.chance(0.92);
  const seconds = rng.int(25 * 60, 4 * 3600);
  const splits = Array.from({ length: rng.int(1, 4) }, () => rng.int(300, 1800));
  const note = rng.pick([
    '',
    'DNF at km 12',
    'PB! "finally"',
    'chip time ≠ gun time',
    "tie-break: O'Neil",
    'C:\\timing\\export',
  ]);
  return {
    score: `${rng.int(0, 999)}.${String(rng.int(0, 99)).padStart(2, '0')}`,
    rank: finished ? rng.int(1, 2500) : null,
    finishTime: finished
      ? [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60]
          .map((n) => String(n).padStart(2, '0'))
          .join(':')
      : null,
    details: JSON.stringify({ splits, note, chip: rng.chance(0.8), source: 'timing-co' }),
  };
}

/** The website registrations of one user before the backup (0 to 3 events). */
export function webRegistrations(
  seed: number,
  userId: number,
  events: readonly EventRow[],
  registeredFrom: number,
): Registration[] {
  const rng = Prng.for(seed, 'registrations', userId);
  const out: Registration[] = [];
  const count = rng.int(0, 3);
  for (let i = 0; i < count; i++) {
    const event = rng.pick(events);
    const startsAt = epoch(event.starts_at);
    out.push({
      event,
      status: rng.pick(['registered', 'confirmed', 'finished', 'finished', 'finished', 'cancelled']),
      bib: bib(rng),
      category: category(rng),
      registeredAt: Math.max(registeredFrom, startsAt - rng.int(1, 90) * 86_400),
    });
  }
  return out;
}
