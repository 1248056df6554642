/**
 * Binary min-heap of municipality indices 0..capacity-1 with a position index, so one entry can
 * be re-keyed or removed in O(log n). The order is supplied as a strict "comes before" test and
 * must be total (the ledger breaks every tie by index, i.e. by code).
 */
export class IndexedHeap {
  private readonly items: Int32Array;
  private readonly pos: Int32Array;
  private count = 0;

  constructor(
    capacity: number,
    private readonly before: (a: number, b: number) => boolean,
  ) {
    this.items = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
  }

  get size(): number {
    return this.count;
  }

  has(i: number): boolean {
    return (this.pos[i] as number) >= 0;
  }

  /** Smallest entry; only call when size > 0. */
  peek(): number {
    return this.items[0] as number;
  }

  clear(): void {
    for (let k = 0; k < this.count; k++) this.pos[this.items[k] as number] = -1;
    this.count = 0;
  }

  push(i: number): void {
    const at = this.count++;
    this.items[at] = i;
    this.pos[i] = at;
    this.siftUp(at);
  }

  /** Builds from scratch in O(n); entries must not be present yet. */
  pushAll(indices: readonly number[]): void {
    for (const i of indices) {
      this.items[this.count] = i;
      this.pos[i] = this.count++;
    }
    for (let k = (this.count >> 1) - 1; k >= 0; k--) this.siftDown(k);
  }

  pop(): number {
    const top = this.items[0] as number;
    this.removeAt(0);
    return top;
  }

  remove(i: number): void {
    const at = this.pos[i] as number;
    if (at >= 0) this.removeAt(at);
  }

  /** Restores order after entry i's key changed in either direction. */
  update(i: number): void {
    const at = this.pos[i] as number;
    if (at < 0) return;
    const moved = this.siftUp(at);
    if (moved === at) this.siftDown(at);
  }

  /**
   * Yields entries in heap order without changing the heap: best-first over the implicit tree,
   * so taking the first k costs O(k log k). The heap must not change while iterating.
   */
  *ordered(): Generator<number, void, undefined> {
    if (this.count === 0) return;
    const items = this.items;
    const before = this.before;
    const frontier: number[] = [0];
    const lessAt = (p: number, q: number): boolean => before(items[p] as number, items[q] as number);
    while (frontier.length > 0) {
      const top = frontier[0] as number;
      const last = frontier.pop() as number;
      if (frontier.length > 0) {
        frontier[0] = last;
        siftDownPositions(frontier, 0, lessAt);
      }
      yield items[top] as number;
      for (const child of [2 * top + 1, 2 * top + 2]) {
        if (child < this.count) {
          frontier.push(child);
          siftUpPositions(frontier, frontier.length - 1, lessAt);
        }
      }
    }
  }

  /**
   * The first entry in heap order that `ok` accepts, or −1: best-first over the implicit tree
   * like `ordered()`, with a reused frontier and no generator, for the hot path of a choice
   * whose first entries are excluded.
   */
  firstWhere(ok: (i: number) => boolean): number {
    if (this.count === 0) return -1;
    const items = this.items;
    if (ok(items[0] as number)) return items[0] as number;
    // Closures here would be created on every call of a hot path: the frontier is a field.
    this.frontier ??= new Int32Array(items.length);
    this.frontierSize = 0;
    if (1 < this.count) this.frontierPush(1);
    if (2 < this.count) this.frontierPush(2);
    while (this.frontierSize > 0) {
      const at = this.frontierPop();
      const item = items[at] as number;
      if (ok(item)) return item;
      const c = 2 * at + 1;
      if (c < this.count) this.frontierPush(c);
      if (c + 1 < this.count) this.frontierPush(c + 1);
    }
    return -1;
  }
  private frontierSize = 0;

  private frontierPush(at: number): void {
    const f = this.frontier as Int32Array;
    const items = this.items;
    let k = this.frontierSize++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!this.before(items[at] as number, items[f[parent] as number] as number)) break;
      f[k] = f[parent] as number;
      k = parent;
    }
    f[k] = at;
  }

  private frontierPop(): number {
    const f = this.frontier as Int32Array;
    const items = this.items;
    const top = f[0] as number;
    const size = --this.frontierSize;
    const last = f[size] as number;
    let k = 0;
    for (;;) {
      let c = 2 * k + 1;
      if (c >= size) break;
      if (c + 1 < size && this.before(items[f[c + 1] as number] as number, items[f[c] as number] as number)) c++;
      if (!this.before(items[f[c] as number] as number, items[last] as number)) break;
      f[k] = f[c] as number;
      k = c;
    }
    if (size > 0) f[k] = last;
    return top;
  }
  private frontier: Int32Array | undefined;

  private removeAt(at: number): void {
    const removed = this.items[at] as number;
    this.pos[removed] = -1;
    const lastAt = --this.count;
    if (at === lastAt) return;
    const last = this.items[lastAt] as number;
    this.items[at] = last;
    this.pos[last] = at;
    const moved = this.siftUp(at);
    if (moved === at) this.siftDown(at);
  }

  private siftUp(at: number): number {
    const items = this.items;
    const pos = this.pos;
    const entry = items[at] as number;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = items[parentAt] as number;
      if (!this.before(entry, parent)) break;
      items[at] = parent;
      pos[parent] = at;
      at = parentAt;
    }
    items[at] = entry;
    pos[entry] = at;
    return at;
  }

  private siftDown(at: number): void {
    const items = this.items;
    const pos = this.pos;
    const n = this.count;
    const entry = items[at] as number;
    for (;;) {
      let childAt = 2 * at + 1;
      if (childAt >= n) break;
      let child = items[childAt] as number;
      const rightAt = childAt + 1;
      if (rightAt < n) {
        const right = items[rightAt] as number;
        if (this.before(right, child)) {
          childAt = rightAt;
          child = right;
        }
      }
      if (!this.before(child, entry)) break;
      items[at] = child;
      pos[child] = at;
      at = childAt;
    }
    items[at] = entry;
    pos[entry] = at;
  }
}

function siftUpPositions(h: number[], at: number, less: (p: number, q: number) => boolean): void {
  const v = h[at] as number;
  while (at > 0) {
    const parentAt = (at - 1) >> 1;
    const parent = h[parentAt] as number;
    if (!less(v, parent)) break;
    h[at] = parent;
    at = parentAt;
  }
  h[at] = v;
}

function siftDownPositions(h: number[], at: number, less: (p: number, q: number) => boolean): void {
  const n = h.length;
  const v = h[at] as number;
  for (;;) {
    let c = 2 * at + 1;
    if (c >= n) break;
    if (c + 1 < n && less(h[c + 1] as number, h[c] as number)) c++;
    if (!less(h[c] as number, v)) break;
    h[at] = h[c] as number;
    at = c;
  }
  h[at] = v;
}
