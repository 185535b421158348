// Names derived from the document: camelCased parameter names, reply names, generated operationIds.
import { STATUS_CODES } from 'node:http';

/**
 * `image-name` → `imageName`, `X-Request-Id` → `xRequestId`, `X-API-Key` → `xApiKey`, `AccountSid` → `accountSid`,
 * `StartTime<` → `startTimeLt` (`<=` Lte, `>` Gt, `>=` Gte).
 * Words are split on anything that is not a letter or digit; an all-capitals word counts as one word.
 */
export function camelCase(name: string): string {
  let known = camelCased.get(name);
  if (known === undefined) camelCased.set(name, (known = toCamelCase(name)));
  return known;
}

/** Large documents repeat the same few hundred names thousands of times (shared parameters, statuses). */
const camelCased = new Map<string, string>();

function toCamelCase(name: string): string {
  // Comparison suffixes carry meaning (Twilio's `StartTime<` and `StartTime>`): spell them as words.
  const spelled = name.replace(/<=/g, '_lte').replace(/>=/g, '_gte').replace(/</g, '_lt').replace(/>/g, '_gt');
  const words = spelled.split(/[^A-Za-z0-9]+/).filter(Boolean);
  if (words.length === 0) return name;
  return words
    .map((word, i) => {
      const shouting = word === word.toUpperCase();
      if (i === 0) return shouting ? word.toLowerCase() : word[0].toLowerCase() + word.slice(1);
      return word[0].toUpperCase() + (shouting ? word.slice(1).toLowerCase() : word.slice(1));
    })
    .join('');
}

const RANGE_NAMES: Record<string, string> = {
  '1XX': 'informational',
  '2XX': 'success',
  '3XX': 'redirection',
  '4XX': 'clientError',
  '5XX': 'serverError',
  default: 'default',
};

/** The standard name of a response key: 200 → `ok`, 404 → `notFound`, `4XX` → `clientError`, `default` → `default`. */
export function statusName(key: string): string {
  const range = RANGE_NAMES[key.toUpperCase()] ?? RANGE_NAMES[key];
  if (range) return range;
  const phrase = STATUS_CODES[Number(key)];
  return phrase ? camelCase(phrase.replace(/'/g, '')) : `status${key}`;
}

/** `#/components/responses/NoBuildInfo` → `noBuildInfo`. */
export function componentName(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return camelCase(decodeURIComponent(last).replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * A deterministic operationId for an operation that has none: the method, then each path segment
 * (templated segments as `By<Name>`): `GET /pets/{petId}` → `getPetsByPetId`.
 */
export function generatedOperationId(method: string, pathTemplate: string): string {
  const parts = pathTemplate
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const template = /^\{(.+)\}$/.exec(segment);
      const word = camelCase(template ? template[1] : segment);
      const pascal = word ? word[0].toUpperCase() + word.slice(1) : '';
      return template ? `By${pascal}` : pascal;
    });
  return method.toLowerCase() + parts.join('');
}
