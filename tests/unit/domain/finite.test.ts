import { describe, expect, it } from 'vitest';
import { firstNonFinite } from '../../../functions/domain/finite.js';

describe('firstNonFinite', () => {
  it('finds nothing in an output of finite numbers, strings, nulls and booleans', () => {
    expect(firstNonFinite({ total: 1000, channels: [{ channelId: 'a', marginalCpa: null, curve: [[0, 1, 2, 3]] }], ok: true })).toBeNull();
  });

  it.each([
    [Number.POSITIVE_INFINITY, 'channels[1].curve[2][0]'],
    [Number.NEGATIVE_INFINITY, 'channels[1].curve[2][0]'],
    [Number.NaN, 'channels[1].curve[2][0]'],
  ])('names the path of %s, which JSON would print as null', (bad, path) => {
    const output = { total: 1000, channels: [{ curve: [] }, { curve: [[0], [1], [bad, 2]] }] };
    expect(firstNonFinite(output)).toBe(path);
  });

  it('names the first in document order when there are several', () => {
    expect(firstNonFinite({ a: 1, b: [2, Number.NaN], c: Number.POSITIVE_INFINITY })).toBe('b[1]');
  });

  it('names the root when the value itself is not finite', () => {
    expect(firstNonFinite(Number.NaN)).toBe('$');
  });
});
