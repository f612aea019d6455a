import { describe, expect, it } from 'vitest';
import { duplicateKeys, firstDuplicateKey } from '../../../functions/domain/jsonKeys.js';

describe('repeated JSON keys', () => {
  const text = '{"a":1,"b":{"c":[{"d":1,"d":2}],"c":3},"a":4,"e":{"f":1}}';

  it('lists every key repeated within one object, in document order', () => {
    expect(duplicateKeys(text)).toEqual(['b.c[0].d', 'b.c', 'a']);
  });

  it('stops at the first when asked for one, as the webhook does', () => {
    expect(duplicateKeys(text, 1)).toEqual(['b.c[0].d']);
    expect(firstDuplicateKey(text)).toBe('b.c[0].d');
  });

  it('finds none when the same key is in different objects, or keys only look alike', () => {
    expect(duplicateKeys('{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":2}],"k\\u0031":1,"k1x":2}')).toEqual([]);
    expect(firstDuplicateKey('[]')).toBeNull();
  });

  it('sees through escapes: "k1" and "k\\u0031" are the same key', () => {
    expect(duplicateKeys('{"k1":1,"k\\u0031":2}')).toEqual(['k1']);
  });
});
