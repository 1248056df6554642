// The one or two Dutch sentences a coordinator reads aloud for every decision (issue 12 §7):
// the quota, what removed municipalities, the need or capacity that decided, the fallback.
// Pure: built from the engine's structured explanation, which stays the source of truth.
import type { Explanation } from '../allocation/engine/index.js';
import { CAPACITY_PREFERENCE, WORK_REGION_PREFERENCE, type NeedKind } from './maatwerk-rules.js';

const NEED_NL: Record<NeedKind, { lacks: string; offers: string }> = {
  medicalCare: { lacks: 'zonder gespecialiseerde medische zorg', offers: 'gespecialiseerde medische zorg dichtbij biedt' },
  specialEducation: { lacks: 'zonder plek in het speciaal onderwijs', offers: 'een plek in het speciaal onderwijs heeft' },
  accessibleHousing: { lacks: 'zonder toegankelijke woning', offers: 'toegankelijke woningen heeft' },
  largeDwelling: { lacks: 'zonder woning met 4 of meer slaapkamers', offers: 'woningen met 4 of meer slaapkamers heeft' },
  languageSupport: { lacks: 'zonder taal- en inburgeringsondersteuning', offers: 'taal- en inburgeringsondersteuning biedt' },
};

const REASON_NL: Record<string, string> = {
  reporting_municipality: 'meldende gemeente',
  family_exclusion: 'uitgesloten voor dit gezin',
  rejected_before: 'eerder afgewezen',
  declined_before: 'eerder geweigerd',
  suspended: 'opgeschort',
  at_capacity: 'vol voor deze periode',
  no_longer_exists: 'bestaat niet meer',
  outside_region: 'buiten de gevraagde regio',
};

// One formatter for the process: toLocaleString would build a new one for every number.
const NL_NUMBER = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 2 });
const num = (n: number) => NL_NUMBER.format(n);
const units = (n: number) => (n === 1 ? '1 eenheid' : `${num(n)} eenheden`);

function reasonNl(reason: string): string {
  if (reason.startsWith('need_unmet:')) return NEED_NL[reason.slice('need_unmet:'.length) as NeedKind]?.lacks ?? reason;
  return REASON_NL[reason] ?? reason;
}

function preferenceNl(kind: string, capacity: CapacityUsed | null): string {
  if (kind === 'network') return 'het gezin daar een netwerk heeft';
  if (kind === WORK_REGION_PREFERENCE) return 'een volwassene werk of een baanaanbod heeft in die arbeidsmarktregio';
  if (kind === CAPACITY_PREFERENCE) return capacity ? `daar passende woonruimte is aangeboden (${capacity.bedrooms} slaapkamers${capacity.accessible ? ', toegankelijk' : ''})` : 'daar passende woonruimte is aangeboden';
  if (kind.startsWith('need:')) return `die gemeente ${NEED_NL[kind.slice(5) as NeedKind]?.offers ?? kind}`;
  return kind;
}

export interface CapacityUsed {
  bedrooms: number;
  accessible: boolean;
  kind: 'dwelling' | 'flex_unit';
}

/** Sentences in Dutch for one decision. `name` gives a municipality's name for its code. */
export function explainInDutch(e: Explanation, ctx: { name: (code: string) => string; capacity: CapacityUsed | null; shelterCreditNights?: number | null }): string {
  const n = (code: string) => `${ctx.name(code)} (${code})`;
  const removed = e.constraints.removed.filter((r) => r.count > 0).map((r) => `${r.count} ${reasonNl(r.reason)}`);
  const removedText = removed.length > 0 ? `afgevallen: ${removed.join(', ')}` : '';
  /** The second sentence: what was removed, the dwelling booked, the shelter credit. */
  const second = (parts: string[]) => {
    const text = parts.filter((p) => p !== '').join('; ');
    return text === '' ? '' : `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  };
  if (e.chosen === null) {
    return `Geen enkele gemeente bleef over, dus beslist de coördinator. ${second([removedText])}`.trim();
  }
  const c = e.chosen;
  const balance = c.balanceDisplay >= 0 ? `een achterstand van ${units(c.balanceDisplay)}` : `een voorsprong van ${units(-c.balanceDisplay)}`;
  let first: string;
  if (e.selection === 'override') {
    first = `De coördinator heeft ${n(c.code)} aangewezen${e.unconstrainedChoice ? `; de verdeelsleutel zou ${n(e.unconstrainedChoice)} hebben gekozen` : ''}.`;
  } else if ((e.selection === 'preference' || e.selection === 'network_preference') && e.preferences) {
    const p = e.preferences;
    first =
      `${n(c.code)} is voorgesteld in plaats van ${n(p.ruleChoice)}, omdat ${preferenceNl(p.decidedBy ?? '', ctx.capacity)} ` +
      `en haar saldo binnen ${units(p.toleranceDisplay)} van dat van ${ctx.name(p.ruleChoice)} ligt (verdeelsleutel versie ${e.keyVersion}).`;
  } else if (e.selection === 'fallback_no_upper_quota_candidate') {
    first = `Geen toegestane gemeente zat nog binnen haar quotum; ${n(c.code)} is als terugvaloptie gekozen omdat zij het langst wacht (${balance}).`;
  } else {
    first = `${n(c.code)} is volgens de verdeelsleutel (versie ${e.keyVersion}) als eerste aan de beurt, met ${balance}.`;
  }
  const booked =
    ctx.capacity && e.preferences?.decidedBy !== CAPACITY_PREFERENCE
      ? `geboekt op aangeboden woonruimte (${ctx.capacity.bedrooms} slaapkamers${ctx.capacity.accessible ? ', toegankelijk' : ''})`
      : '';
  const credit = ctx.shelterCreditNights ? `gemeenten die langer dan ${ctx.shelterCreditNights} nachten opvang boden, krijgen daarvoor minder gezinnen` : '';
  return [first, second([removedText, booked, credit])].filter((x) => x !== '').join(' ');
}
