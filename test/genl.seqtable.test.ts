/**
 * SeqTable (src/genl/seqtable.ts): calls in flight by sequence number, one array slot
 * each, compared here against a Map driven by the same random operations.
 */
import assert from 'node:assert/strict';
import { SeqTable } from '../src/genl/seqtable';
import { prng } from './helpers/prng';

interface Item {
  seq: number;
  tag: string;
}

describe('genl: SeqTable', () => {
  it('get answers only for the exact sequence number, not for another with the same slot', () => {
    const t = new SeqTable<Item>(8);
    t.add({ seq: 3, tag: 'a' });
    assert.equal(t.get(3)?.tag, 'a');
    assert.equal(t.get(11), undefined, '11 & 7 === 3');
    assert.equal(t.isFree(11), false);
    assert.equal(t.isFree(4), true);
    assert.equal(t.delete(11), false);
    assert.equal(t.size, 1);
    assert.equal(t.delete(3), true);
    assert.equal(t.size, 0);
    assert.equal(t.isFree(11), true);
  });

  it('refuses to add into a taken slot (the engine chooses free numbers)', () => {
    const t = new SeqTable<Item>(8);
    t.add({ seq: 1, tag: 'a' });
    assert.throws(() => t.add({ seq: 9, tag: 'b' }), /slot of sequence number 9 is taken by 1/);
  });

  it('reserve() doubles the table when half full and keeps every entry findable', () => {
    const t = new SeqTable<Item>(4);
    t.add({ seq: 0xfffffffe, tag: 'x' });
    t.add({ seq: 5, tag: 'y' });
    t.reserve();
    t.add({ seq: 7, tag: 'z' });
    for (const [seq, tag] of [[0xfffffffe, 'x'], [5, 'y'], [7, 'z']] as const) assert.equal(t.get(seq)?.tag, tag);
    assert.equal(t.isFree(9), true, 'with 8 slots, 9 no longer shares 5\'s slot (it did with 4)');
    assert.deepEqual(t.values().map((i) => i.tag).sort(), ['x', 'y', 'z']);
  });

  it('only a power-of-two size', () => {
    assert.throws(() => new SeqTable(100), RangeError);
  });

  it('20,000 random operations agree with a Map (free numbers chosen as the engine does)', () => {
    const rand = prng(5);
    const t = new SeqTable<Item>(16);
    const m = new Map<number, Item>();
    let seq = 0xffffff00;
    for (let i = 0; i < 20_000; i++) {
      if (rand() < 0.55 || m.size === 0) {
        t.reserve();
        do seq = seq >= 0xffffffff ? 1 : seq + 1;
        while (!t.isFree(seq));
        assert.equal(m.has(seq), false);
        const item = { seq, tag: `t${i}` };
        t.add(item);
        m.set(seq, item);
      } else {
        const keys = [...m.keys()];
        const k = keys[Math.floor(rand() * keys.length)]!;
        assert.equal(t.delete(k), true);
        m.delete(k);
      }
      assert.equal(t.size, m.size);
    }
    for (const [k, v] of m) assert.equal(t.get(k), v);
    assert.deepEqual(new Set(t.values()), new Set(m.values()));
    t.clear();
    assert.equal(t.size, 0);
    assert.deepEqual(t.values(), []);
  });
});
