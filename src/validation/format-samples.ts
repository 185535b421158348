// One value of each format, valid by Ajv's check of that format (test/unit/interpreter.test.ts runs
// each through the compiler's own format checks, in both dialects). The sampler writes them into mock
// bodies and verify's requests; the schema walk accepts them without running the check again, which
// matters on a process's first mock: the first test of ajv-formats' `uri` expression compiles it,
// ~3.5 ms, and a Discord message carries a dozen URIs.
export const FORMAT_SAMPLES: Readonly<Record<string, string>> = Object.freeze({
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00Z',
  duration: 'P1D',
  email: 'user@example.com',
  'idn-email': 'user@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  iri: 'https://example.com/',
  'iri-reference': 'https://example.com/',
  'uri-template': 'https://example.com/{id}',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  'json-pointer': '/a',
  'relative-json-pointer': '0',
  regex: '^a$',
  byte: 'c3BlY2JpbmQ=',
  binary: 'specbind',
  password: 'p4ssw0rd',
  int64: '1',
  int32: '1',
  decimal: '1.0',
  'unix-time': '1704067200',
});
