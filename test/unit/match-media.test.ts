// Which declared media type a request's Content-Type picks (src/binding/body.ts `matchMedia`).
import { type BodyPlan, type MediaPlan, matchMedia } from '../../src/binding/body';

function plan(...patterns: string[]): BodyPlan {
  const media = patterns.map((pattern) => ({ mediaType: pattern, pattern }) as MediaPlan);
  return { required: true, media, declared: patterns.join(', ') };
}

describe('matchMedia', () => {
  it('prefers the exact type, then wildcards in document order, and ignores parameters and case', () => {
    const p = plan('text/*', 'application/json', '*/*');
    expect(matchMedia(p, 'application/json; charset=utf-8')?.pattern).toBe('application/json');
    expect(matchMedia(p, 'Text/Plain')?.pattern).toBe('text/*');
    expect(matchMedia(p, 'image/png')?.pattern).toBe('*/*');
    expect(matchMedia(p, undefined)).toBeUndefined();
  });

  it('answers each Content-Type for itself when they alternate (the last one is remembered)', () => {
    const p = plan('application/json', 'text/plain');
    for (let i = 0; i < 3; i++) {
      expect(matchMedia(p, 'application/json')?.pattern).toBe('application/json');
      expect(matchMedia(p, 'application/json')?.pattern).toBe('application/json');
      expect(matchMedia(p, 'text/plain')?.pattern).toBe('text/plain');
      expect(matchMedia(p, 'image/png')).toBeUndefined();
      expect(matchMedia(p, 'image/png')).toBeUndefined();
    }
  });
});
