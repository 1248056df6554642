// The API's codes in the words a coordinator uses. Unknown codes show as they are, so a new
// value from the API is visible rather than hidden.

const lookup = (table: Record<string, string>) => (code: string | null | undefined) => (code ? (table[code] ?? code) : '—');

export const registrationStatus = lookup({
  queued: 'In de wachtrij',
  proposed: 'Voorgesteld, wacht op beoordeling',
  approved: 'Goedgekeurd',
  accepted: 'Geaccepteerd door de ontvangende gemeente',
  transferred: 'Verhuisd naar de ontvangende gemeente',
  housed: 'Gehuisvest',
  closed: 'Afgesloten',
  needs_attention: 'Vraagt aandacht van de coördinator',
});

export const allocationStatus = lookup({
  proposed: 'Wacht op beoordeling',
  approved: 'Goedgekeurd',
  rejected: 'Afgewezen',
  accepted: 'Geaccepteerd',
  declined: 'Geweigerd door de gemeente',
  withdrawn: 'Ingetrokken',
});

/** Status badges: the word carries the meaning; the colour only repeats it. */
export function statusTone(status: string): 'neutral' | 'warning' | 'success' | 'danger' {
  if (['proposed', 'queued', 'needs_attention'].includes(status)) return 'warning';
  if (['approved', 'accepted', 'transferred', 'housed'].includes(status)) return 'success';
  if (['rejected', 'declined', 'withdrawn'].includes(status)) return 'danger';
  return 'neutral';
}

export const historyAction = lookup({
  registered: 'Gemeld',
  proposed: 'Voorgesteld',
  no_allowed_municipality: 'Geen toegestane gemeente gevonden',
  approved: 'Goedgekeurd',
  rejected: 'Afgewezen',
  accepted: 'Geaccepteerd',
  declined: 'Geweigerd',
  overridden: 'Handmatig toegewezen',
  requeued: 'Opnieuw ter voorstel',
  transferred: 'Verhuisd',
  housed: 'Gehuisvest',
  closed: 'Afgesloten',
});

export const outcome = lookup({
  housed: 'Gehuisvest',
  returned_abroad: 'Teruggekeerd naar het buitenland (terugkeerregeling)',
  own_network: 'Onderdak in eigen netwerk',
  wmo_eligible: 'Toch Wmo-opvang (niet zelfredzaam)',
  withdrawn: 'Melding ingetrokken',
  duplicate: 'Dubbele melding',
  refused_placement: 'Gezin weigerde de plaatsing',
});

/** The stages with a deadline (issue 13). */
export const signalStage = lookup({
  review: 'Beoordelen van het voorstel (coördinator)',
  decision: 'Accepteren of weigeren (ontvangende gemeente)',
  transfer: 'Verhuizing naar de ontvangende gemeente',
  attention: 'Vraagt aandacht van de coördinator',
});

export const signalLevel = lookup({
  reminder: 'Termijn verstreken',
  escalation: 'Geëscaleerd naar de coördinator',
});

export const subgroup = lookup({
  former_permit_holder: 'Voormalig statushouder',
  caribbean: 'Uit het Caribisch deel van het Koninkrijk',
  chavez: 'Chavez-Vilchez',
  other_remigrant: 'Andere remigrant',
});

export const role = lookup({
  municipality: 'gemeente',
  coordinator: 'coördinator',
  housing_corporation: 'woningcorporatie',
  admin: 'beheerder',
  system: 'systeem',
});

export const shelterType = lookup({
  hotel: 'Hotel',
  holiday_park: 'Vakantiepark',
  shelter_facility: 'Opvangvoorziening',
  other: 'Anders',
});

const NEED_UNMET: Record<string, string> = {
  medicalCare: 'geen gespecialiseerde medische zorg',
  specialEducation: 'geen plek in het speciaal onderwijs',
  accessibleHousing: 'geen toegankelijke woning',
  largeDwelling: 'geen woning met 4 of meer slaapkamers',
  languageSupport: 'geen taal- en inburgeringsondersteuning',
};

/** Why a constraint took municipalities out of the running for this family. */
export const constraintReason = (code: string | null | undefined): string =>
  code?.startsWith('need_unmet:') ? (NEED_UNMET[code.slice('need_unmet:'.length)] ?? code) : constraintReasonFixed(code);

const constraintReasonFixed = lookup({
  reporting_municipality: 'meldende gemeente',
  family_exclusion: 'uitgesloten voor het gezin',
  rejected_before: 'eerder afgewezen',
  declined_before: 'eerder geweigerd',
  suspended: 'opgeschort',
  at_capacity: 'capaciteit bereikt',
  outside_region: 'buiten de regio',
  no_longer_exists: 'bestaat niet meer',
  unspecified: 'niet gespecificeerd',
});

export const selection = lookup({
  quota_rule:
    'Gekozen volgens de verdeelregel: van de toegestane gemeenten die nog onder hun bovengrens zitten, was deze gemeente het eerst aan de beurt.',
  fallback_no_upper_quota_candidate:
    'Geen enkele toegestane gemeente zat nog onder haar bovengrens. Daarom is van alle toegestane gemeenten de gemeente gekozen die het eerst aan de beurt was (terugvalregel).',
  network_preference:
    'Gekozen vanwege het netwerk van het gezin: deze gemeente hoort bij het netwerk en haar saldo ligt binnen de toegestane marge van de gemeente die de verdeelregel koos.',
  preference:
    'Gekozen vanwege maatwerk (werkregio, aangeboden woonruimte of een behoefte die de voorkeur krijgt): haar saldo ligt binnen de toegestane marge van de gemeente die de verdeelregel koos.',
  override: 'Handmatig toegewezen door de coördinator.',
  none: 'Er is geen gemeente gekozen: alle gemeenten zijn door beperkingen uitgesloten.',
});

export interface Needs {
  accessibleHousing?: boolean;
  medicalCare?: boolean;
  specialEducation?: boolean;
  minimumBedrooms?: number;
  languageSupport?: boolean;
  [other: string]: unknown;
}

export const NEED_FLAGS = [
  ['accessibleHousing', 'woning zonder trappen'],
  ['medicalCare', 'medische zorg in de buurt'],
  ['specialEducation', 'speciaal onderwijs'],
  ['languageSupport', 'taal- en inburgeringsondersteuning'],
] as const;

/** How a need counted for this proposal (the coordinator's needs policy). */
export const needMode = lookup({ hard: 'harde eis', soft: 'voorkeur' });

export function needsList(needs: Needs | null | undefined): string[] {
  if (!needs) return [];
  const out: string[] = [];
  if (typeof needs.minimumBedrooms === 'number') out.push(`minstens ${needs.minimumBedrooms} slaapkamer${needs.minimumBedrooms === 1 ? '' : 's'}`);
  for (const [key, text] of NEED_FLAGS) if (needs[key] === true) out.push(text);
  return out;
}
