// Small SVG bars next to numbers. They are decoration for the eye (aria-hidden): the number
// beside each bar is the text equivalent, so nothing is conveyed by length or colour alone.
import { s } from './dom';

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
