// Word tables the generators draw from. Lowercase variants are precomputed so building an email
// never calls toLowerCase per record.

export const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Anders', 'Aiko', 'Bea', 'Bruno', 'Carmen', 'Chen', 'Clara', 'Dario', 'Dmitri',
  'Elena', 'Emeka', 'Esther', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ines', 'Ivan', 'Jonas', 'Juno',
  'Kai', 'Kofi', 'Lars', 'Leila', 'Lucia', 'Mala', 'Mateo', 'Mina', 'Nadia', 'Nils', 'Noor', 'Olga',
  'Omar', 'Pablo', 'Priya', 'Quinn', 'Rafael', 'Rosa', 'Sami', 'Sara', 'Sven', 'Tariq', 'Tess', 'Uma',
  'Vera', 'Viktor', 'Wen', 'Xavier', 'Yara', 'Yusuf', 'Zara', 'Zoltan', 'Ingrid', 'Tomas', 'Keiko',
  'Ravi', 'Lina', 'Marco', 'Selma', 'Theo',
] as const;

export const LAST_NAMES = [
  'Abbott', 'Achebe', 'Bauer', 'Bianchi', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad',
  'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Kumar', 'Larsen', 'Lopez', 'Marin', 'Mensah', 'Moreau',
  'Nakamura', 'Novak', 'Okafor', 'Olsen', 'Park', 'Petrov', 'Quispe', 'Rossi', 'Sato', 'Schmidt',
  'Silva', 'Singh', 'Tanaka', 'Torres', 'Ueda', 'Varga', 'Wagner', 'Wang', 'Weber', 'Xu', 'Yilmaz',
  'Zhang', 'Ziegler', 'Holm', 'Reyes', 'Berg', 'Lund', 'Costa', 'Ahmed', 'Byrne', 'Doyle', 'Ekström',
  'Fontaine', 'Greco', 'Horvat', 'Iqbal', 'Jovanovic', 'Keller', 'Lindqvist', 'Mazur', 'Nagy', 'Oyelaran',
  'Pereira', 'Ramos',
] as const;

function lower(values: readonly string[]): string[] {
  return values.map((v) => v.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase());
}

export const FIRST_NAMES_LOWER = lower(FIRST_NAMES);
export const LAST_NAMES_LOWER = lower(LAST_NAMES);

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.test', 'inbox.test'] as const;

/** Every first name with every last name, `first * LAST_NAMES.length + last`, built once. */
export const FULL_NAMES = FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => `${f} ${l}`));
export const EMAIL_LOCAL_PARTS = FIRST_NAMES_LOWER.flatMap((f) => LAST_NAMES_LOWER.map((l) => `${f}.${l}`));
export const EMAIL_AT_DOMAINS = EMAIL_DOMAINS.map((d) => `@${d}`);

export const STREETS = [
  'Maple Street', 'Harbor Road', 'Station Lane', 'Mill Avenue', 'Orchard Way', 'Bridge Street',
  'Church Road', 'Park Avenue', 'River Walk', 'Hill Crescent', 'Lake Drive', 'Market Square',
  'Elm Close', 'Cedar Court', 'Willow Row', 'King Street',
] as const;

/** House numbers 1-240 on every street, `(number - 1) * STREETS.length + street`, built once. */
export const STREET_ADDRESSES = Array.from({ length: 240 }, (_, n) => STREETS.map((s) => `${n + 1} ${s}`)).flat();

/** City and country travel together so an address never puts Lisbon in Japan. */
export const CITIES: readonly (readonly [city: string, country: string])[] = [
  ['Lisbon', 'PT'], ['Porto', 'PT'], ['Berlin', 'DE'], ['Munich', 'DE'], ['Lyon', 'FR'], ['Paris', 'FR'],
  ['Osaka', 'JP'], ['Tokyo', 'JP'], ['Lagos', 'NG'], ['Accra', 'GH'], ['Oslo', 'NO'], ['Bergen', 'NO'],
  ['Austin', 'US'], ['Denver', 'US'], ['Toronto', 'CA'], ['Quito', 'EC'], ['Pune', 'IN'], ['Seoul', 'KR'],
  ['Turin', 'IT'], ['Krakow', 'PL'], ['Brno', 'CZ'], ['Izmir', 'TR'], ['Cork', 'IE'], ['Malmo', 'SE'],
];

export const TAGS = [
  'newsletter', 'beta', 'vip', 'churn-risk', 'wholesale', 'referral', 'mobile', 'desktop', 'gift',
  'student', 'early-adopter', 'support-heavy', 'annual', 'monthly', 'trial', 'partner',
] as const;

export const PRODUCT_ADJECTIVES = [
  'Compact', 'Sturdy', 'Quiet', 'Bright', 'Classic', 'Modular', 'Portable', 'Smart', 'Vintage', 'Rugged',
] as const;

export const PRODUCT_NOUNS = ['Kettle', 'Lamp', 'Backpack', 'Chair', 'Speaker', 'Notebook', 'Bicycle', 'Tent', 'Watch', 'Mug'] as const;

export const PRODUCT_CATEGORIES = ['kitchen', 'home', 'outdoor', 'office', 'electronics', 'sports'] as const;
