// A plain sequential quota run, written independently of the engine, to check simulations
// against: on a fresh ledger after t units E_i = t·w_i/T; among E_i > A_i choose the smallest
// deadline (A_i + 1 − E_i)/λ_i = ((A_i + 1)·T − t·w_i)/w_i, ties to the lower code. Exact (BigInt),
// O(n) per unit: for tests only.
export function plainQuotaRun(weights: ReadonlyMap<string, bigint>, units: number): Map<string, number> {
  const codes = [...weights.keys()].filter((c) => weights.get(c)! > 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const w = codes.map((c) => weights.get(c)!);
  const T = w.reduce((s, x) => s + x, 0n);
  const a = codes.map(() => 0n);
  for (let t = 1n; t <= BigInt(units); t++) {
    let best = -1;
    for (let i = 0; i < codes.length; i++) {
      if (t * w[i]! <= a[i]! * T) continue; // not within upper quota
      // deadline_i < deadline_best  ⇔  ((a_i+1)T − t w_i) · w_best < ((a_b+1)T − t w_b) · w_i
      if (best < 0 || ((a[i]! + 1n) * T - t * w[i]!) * w[best]! < ((a[best]! + 1n) * T - t * w[best]!) * w[i]!) best = i;
    }
    if (best < 0) throw new Error('no candidate: the quota rule always has one on a fresh ledger');
    a[best]!++;
  }
  const out = new Map<string, number>([...weights.keys()].map((c) => [c, 0]));
  codes.forEach((c, i) => out.set(c, Number(a[i])));
  return out;
}
