import { strict as assert } from 'node:assert';
import { ValidationError } from '../src/attrs/errors';
import { checkKeys, describeValue } from '../src/attrs/options';

describe('options objects (checkKeys)', () => {
  it('accepts undefined and known keys', () => {
    assert.deepEqual(checkKeys(undefined, 'options', ['a']), {});
    const o = { a: 1 };
    assert.equal(checkKeys(o, 'options', ['a', 'b']), o);
  });
  it('names an unknown key with its object, and suggests the known one it resembles', () => {
    assert.throws(() => checkKeys({ hwaddr: 'x' } as object, 'settings', ['hwAddr', 'state']), (e: unknown) =>
      e instanceof ValidationError && e.field === 'settings.hwaddr' && /did you mean "hwAddr"/.test(e.message));
    assert.throws(() => checkKeys({ mac: 'x' } as object, '', ['hwAddr']), (e: unknown) =>
      e instanceof ValidationError && e.field === 'mac' && !/did you mean/.test(e.message) && /known: hwAddr/.test(e.message));
  });
  it('a very long unknown key is named cut short', () => {
    assert.throws(() => checkKeys({ ['k'.repeat(70_000)]: 1 } as object, 'o', ['a']), (e: unknown) =>
      e instanceof ValidationError && e.field.length < 80 && e.message.length < 200);
  });
  it('refuses what is not a plain object', () => {
    for (const bad of [null, 5, 'x', [1]]) {
      assert.throws(() => checkKeys(bad as unknown as object, 'caps', ['roce']), (e: unknown) => e instanceof ValidationError && e.field === 'caps');
    }
  });
  it('describes values briefly', () => {
    assert.equal(describeValue('x'.repeat(70_000)).length, 66);
    assert.equal(describeValue(3n), '3n');
    assert.equal(describeValue({}), 'an object');
  });
});
