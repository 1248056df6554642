// Small SVG bars next to numbers. They are decoration for the eye (aria-hidden): the number
// beside each bar is the text equivalent, so nothing is conveyed by length or colour alone.
import { h, s, uid } from './dom';

const HEIGHT = 14;

/** A bar from zero, `value` out of `max`, as wide as `width` at most. */
export function bar(value: number, max: number, kind: 'entitlement' | 'count', width = 120): SVGSVGElement {
  const w = max > 0 ? Math.max(0, Math.min(1, value / max)) * width : 0;
  return s(
    'svg',
    { class: `bar bar--${kind}`, width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, 'aria-hidden': 'true', focusable: 'false' },
    s('rect', { class: 'bar__track', x: 0, y: 0, width, height: HEIGHT }),
    s('rect', { class: 'bar__value', x: 0, y: 0, width: w.toFixed(2), height: HEIGHT }),
  );
}

/**
 * A bar from a centre line: a backlog (positive) to the right, an advance (negative) to the
 * left, so the direction repeats the sign that the text beside it states.
 */
export function divergingBar(value: number, maxAbs: number, width = 140): SVGSVGElement {
  const half = width / 2;
  const len = maxAbs > 0 ? Math.min(1, Math.abs(value) / maxAbs) * half : 0;
  const x = value >= 0 ? half : half - len;
  return s(
    'svg',
    { class: 'bar bar--balance', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, 'aria-hidden': 'true', focusable: 'false' },
    s('rect', { class: 'bar__track', x: 0, y: 0, width, height: HEIGHT }),
    s('rect', { class: `bar__value ${value >= 0 ? 'bar__value--backlog' : 'bar__value--advance'}`, x: x.toFixed(2), y: 0, width: len.toFixed(2), height: HEIGHT }),
    s('line', { class: 'bar__axis', x1: half, x2: half, y1: 0, y2: HEIGHT }),
  );
}

export interface Series {
  name: string;
  /** chart__s1 … chart__s4: colours that keep 3:1 against white and apart from each other. */
  cls: string;
  /** One value per category; null where there is none (no families, or a count kept back). */
  values: Array<number | null>;
}

const nice = (max: number) => {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
};

/**
 * Columns per category (month), grouped or stacked, as one image with a title and a summary in
 * words. The page puts the same numbers in a table next to it; the legend is HTML beside the
 * image (legendFor), so it wraps on a narrow screen.
 */
export function columnChart(opts: { title: string; summary: string; categories: readonly string[]; series: readonly Series[]; stacked?: boolean; format: (n: number) => string }): SVGSVGElement {
  const LEFT = 44;
  const TOP = 12;
  const PLOT_H = 180;
  const BOTTOM = 34;
  const group = opts.stacked ? 28 : Math.max(24, 12 * opts.series.length + 8);
  const gap = 14;
  const width = LEFT + opts.categories.length * (group + gap) + 10;
  const height = TOP + PLOT_H + BOTTOM;
  const totals = opts.categories.map((_, i) =>
    opts.stacked ? opts.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0) : Math.max(0, ...opts.series.map((s) => s.values[i] ?? 0)),
  );
  const top = nice(Math.max(0, ...totals));
  const y = (v: number) => TOP + PLOT_H - (v / top) * PLOT_H;
  const titleId = uid('kolommen-titel');
  const descId = uid('kolommen-omschrijving');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const columns = opts.categories.flatMap((cat, i) => {
    const x0 = LEFT + i * (group + gap) + gap / 2;
    let stack = 0;
    const bars = opts.series.map((srs, j) => {
      const v = srs.values[i];
      if (v === null || v === undefined || v <= 0) return null;
      if (opts.stacked) {
        const rect = s('rect', { class: `chart__bar ${srs.cls}`, x: x0, y: y(stack + v).toFixed(1), width: group, height: (y(stack) - y(stack + v)).toFixed(1) });
        stack += v;
        return rect;
      }
      const w = (group - 8) / opts.series.length;
      return s('rect', { class: `chart__bar ${srs.cls}`, x: (x0 + 4 + j * w).toFixed(1), y: y(v).toFixed(1), width: (w - 1).toFixed(1), height: (TOP + PLOT_H - y(v)).toFixed(1) });
    });
    return [...bars, s('text', { class: 'chart__legend', x: x0 + group / 2, y: TOP + PLOT_H + 16, 'text-anchor': 'middle' }, cat)];
  });
  return s(
    'svg',
    { class: 'chart chart--columns', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMinYMin meet' },
    s('title', { id: titleId }, opts.title),
    s('desc', { id: descId }, opts.summary),
    ticks.map((t) => [
      s('line', { class: 'chart__grid', x1: LEFT, x2: width - 4, y1: y(t).toFixed(1), y2: y(t).toFixed(1) }),
      s('text', { class: 'chart__legend', x: LEFT - 6, y: (y(t) + 4).toFixed(1), 'text-anchor': 'end' }, opts.format(t)),
    ]),
    columns,
  );
}

/** The legend of a chart as a list beside it: each series' colour and name. */
export function legendFor(series: readonly Pick<Series, 'name' | 'cls'>[]) {
  return h(
    'ul',
    { class: 'chart-legend' },
    series.map((srs) =>
      h('li', { class: 'chart-legend__item' }, s('svg', { width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true', focusable: 'false' }, s('rect', { class: srs.cls, x: 0, y: 0, width: 14, height: 14 })), ' ', srs.name),
    ),
  );
}
