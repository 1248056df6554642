// The family summary in words, shared by the queue and the proposal page.
import { listNl, plural } from './format';
import { needsList, statusTone } from './labels';
import { nameOf } from './municipalities';
import { h } from './dom';
import type { Family } from './types';

export function householdText(f: Pick<Family, 'householdSize' | 'adults' | 'children'>): string {
  return `${plural(f.householdSize, 'persoon', 'personen')} (${plural(f.adults, 'volwassene', 'volwassenen')}, ${plural(f.children, 'kind', 'kinderen')})`;
}

export function agesText(ages: readonly number[]): string {
  if (ages.length === 0) return 'geen kinderen';
  return `${listNl(ages.map(String))} jaar`;
}

export function needsText(f: Pick<Family, 'needs'>): string {
  const needs = needsList(f.needs);
  return needs.length === 0 ? 'geen bijzondere' : listNl(needs);
}

export function networkText(codes: readonly string[]): string {
  return codes.length === 0 ? 'geen' : listNl(codes.map(nameOf));
}

/** A status in words, with a colour that only repeats them. */
export function statusBadge(text: string, status: string) {
  return h('span', { class: `utrecht-status-badge utrecht-status-badge--${statusTone(status)} status-badge` }, text);
}
