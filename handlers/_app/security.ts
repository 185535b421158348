// The check behind the document's `apiKey` security scheme (X-API-Key), for the operations Binder
// marked `authorized`, and behind `apiKeyCookie` (the same keys in the `api_key` cookie, which only
// the build log accepts: a browser's EventSource cannot send headers).
import { createHash, timingSafeEqual } from 'node:crypto';

export const DEV_KEY = 'dev-key';

export interface ApiKeyRequest {
  credential: string | undefined;
  scopes: string[];
  scheme: string;
  request: unknown;
}

/** What handlers find in ctx.principal: a fingerprint of the key, safe to log, never the key. */
export interface ApiKeyPrincipal {
  /** The security scheme the key came through: `apiKey` (header) or `apiKeyCookie`. */
  scheme: string;
  key: string;
}

let warnedDevKey = false;

/**
 * Accepts a key listed in API_KEYS (comma separated). Outside production, a server without API_KEYS
 * accepts `dev-key` so the bundled API works out of the box, and says so once. In production without
 * API_KEYS every key is refused. Read on each call so a deployment (or a test) can change the list
 * without a restart.
 */
export function check({ credential, scheme }: ApiKeyRequest): ApiKeyPrincipal | false {
  if (!credential) return false;
  const keys = configuredKeys();
  const presented = digest(credential);
  // Compare against every key, never stopping at the first match, so timing says nothing about which
  // key (or how much of one) matched; hashing first gives timingSafeEqual equal-length inputs.
  let matched = false;
  for (const key of keys) matched = timingSafeEqual(presented, digest(key)) || matched;
  return matched ? { scheme, key: presented.toString('hex').slice(0, 12) } : false;
}

function configuredKeys(): string[] {
  const keys = (process.env.API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length > 0 || process.env.NODE_ENV === 'production') return keys;
  if (!warnedDevKey) {
    warnedDevKey = true;
    console.warn(`API_KEYS is not set: accepting the development key "${DEV_KEY}" (never in production).`);
  }
  return [DEV_KEY];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
