import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IndexedHeap } from './heap.js';

describe('IndexedHeap', () => {
  it('keeps heap order through pushes, re-keys and removals, and enumerates in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: -5, max: 25 }), fc.boolean())),
        (initial, ops) => {
          const key = [...initial];
          const before = (a: number, b: number): boolean => (key[a] as number) < (key[b] as number) || (key[a] === key[b] && a < b);
          const heap = new IndexedHeap(key.length, before);
          const present = new Set<number>();
          heap.pushAll(key.map((_, i) => i).filter((i) => i % 2 === 0));
          for (let i = 0; i < key.length; i += 2) present.add(i);
          for (const [pick, value, removeIt] of ops) {
            const i = pick % key.length;
            if (removeIt && present.has(i)) {
              heap.remove(i);
              present.delete(i);
            } else {
              key[i] = value;
              if (present.has(i)) heap.update(i);
              else {
                heap.push(i);
                present.add(i);
              }
            }
          }
          const expected = [...present].sort((a, b) => (before(a, b) ? -1 : 1));
          expect([...heap.ordered()]).toEqual(expected);
          const popped: number[] = [];
          while (heap.size > 0) popped.push(heap.pop());
          expect(popped).toEqual(expected);
        },
      ),
    );
  });
});
