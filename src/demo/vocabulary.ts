/**
 * Words the generated people are made of. Chosen to break naive restores: CJK, Cyrillic, Arabic, 4-byte
 * emoji and mathematical letters (utf8mb3 cannot store them), apostrophes, double quotes, backslashes,
 * tabs and newlines (escaping in dumps, TSV and SQL), and literal `NULL` / `\N` strings (NULL confusion).
 */

export interface Name {
  readonly text: string;
  /** ASCII form for logins and emails; empty when the name has none (CJK, Cyrillic, Arabic). */
  readonly ascii: string;
}

const name = (text: string, ascii: string): Name => Object.freeze({ text, ascii });

export const FIRST_NAMES: readonly Name[] = [
  name('James', 'james'),
  name('Mary', 'mary'),
  name('José', 'jose'),
  name('Zoë', 'zoe'),
  name('Łukasz', 'lukasz'),
  name('Søren', 'soren'),
  name('François', 'francois'),
  name('Chloé', 'chloe'),
  name('Björn', 'bjorn'),
  name('Дмитрий', ''),
  name('Ольга', ''),
  name('李', ''),
  name('さくら', ''),
  name('太郎', ''),
  name('민준', ''),
  name('فاطمة', ''),
  name("D'Arcy", 'darcy'),
  name('Renée', 'renee'),
  name('Çağrı', 'cagri'),
  name('Nguyễn', 'nguyen'),
  name('Priya', 'priya'),
  name('Marie-Claire', 'marieclaire'),
  name('Seán', 'sean'),
  name('Kai', 'kai'),
];

export const LAST_NAMES: readonly Name[] = [
  name('Smith', 'smith'),
  name("O'Brien", 'obrien'),
  name('Müller', 'mueller'),
  name('García', 'garcia'),
  name('Nowak', 'nowak'),
  name('Håkansson', 'hakansson'),
  name('Иванов', ''),
  name('Chen', 'chen'),
  name('山田', ''),
  name('Al-Farsi', 'alfarsi'),
  name('van der Berg', 'vanderberg'),
  name("D'Angelo", 'dangelo'),
  name('Żółć', 'zolc'),
  name('Lefèvre', 'lefevre'),
  name('Ó Súilleabháin', 'osuilleabhain'),
  name('Schröder', 'schroeder'),
  name('Brown', 'brown'),
  name('김', ''),
];

/** Nicknames people pick themselves: emoji, math letters, quotes and a backslash. */
export const NICKNAME_STYLES: readonly ((login: string, first: string) => string)[] = [
  (login) => login,
  (login) => login,
  (login) => login,
  (_login, first) => `${first} 🏃‍♀️`,
  (_login, first) => `"Speedy" ${first}`,
  () => '𝓡𝓾𝓷𝓷𝓮𝓻',
  (_login, first) => `${first}\\Trail`,
  (_login, first) => `${first} 🚴 ✓`,
];

export const DESCRIPTIONS: readonly string[] = [
  '',
  '',
  'Runner since 2009. Favourite distance: 10k. "Pace is a state of mind."',
  "I'm the club's treasurer — ask me about fees!\nSecond line of my bio.",
  "Path to my files: C:\\Users\\runner\\Documents\\results.xlsx (don't ask)",
  'Ich laufe gern im Wald. Grüße aus München! 🏃',
  'Бегаю по утрам, люблю марафоны.',
  '趣味はマラソンです。よろしくお願いします。',
  'Tab\tseparated\tbio with a literal backslash-n \\n and a real one\nhere.',
  'NULL',
  '\\N',
  'O\'Reilly\'s "best" runner; 100% committed; --not-a-comment /* nor this */',
];

export const CITIES: readonly (readonly [city: string, postcode: string, country: string])[] = [
  ['München', '80331', 'DE'],
  ['Zürich', '8001', 'CH'],
  ['Wien', '1010', 'AT'],
  ["L'Haÿ-les-Roses", '94240', 'FR'],
  ['Kraków', '31-001', 'PL'],
  ['東京', '100-0001', 'JP'],
  ['Москва', '101000', 'RU'],
  ['Dublin', 'D02 X285', 'IE'],
  ['São Paulo', '01001-000', 'BR'],
];

export const STREETS: readonly string[] = [
  'Hauptstraße',
  "Rue de l'Église",
  'Ulica Floriańska',
  "O'Connell Street",
  'Bahnhofstr.',
  'Avenida "Paulista"',
];

export const LOCALES: readonly string[] = ['', '', '', 'de_DE', 'fr_FR', 'ja', 'ru_RU', 'pl_PL'];

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];

export const HASH_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export const VENUES: readonly string[] = [
  'Stadtpark',
  'Olympiastadion',
  "Rue de l'Église 3",
  '東京 Marathon Expo',
  'Lakeside "Trail" Centre',
  'Forêt de Fontainebleau',
];

export const EVENT_KINDS: readonly string[] = [
  'City Run',
  'Trail Cup',
  'Cross-Country',
  'Night Run',
  'Half Marathon',
  'Relay',
];

export const CATEGORIES: readonly string[] = ['M40', 'W35', 'U20', 'Élite', 'Senioren Ü60', 'Open'];
