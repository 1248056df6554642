// The API shapes this UI reads (openapi/openapi.json), narrowed to the fields it uses.
import type { Needs } from './labels';

export interface Candidate {
  code: string;
  entitlement: string;
  entitlementDisplay: number;
  allocatedBefore: number;
  allocatedAfter: number;
  balance: string;
  balanceDisplay: number;
  deadline: string | null;
  deadlineDisplay: number | null;
  withinUpperQuota: boolean;
  inNetwork: boolean;
}

export interface NetworkExplanation {
  codes: string[];
  tolerance: string;
  toleranceDisplay: number;
  ruleChoice: string;
  ruleChoiceBalance: string;
  qualifying: string[];
  notAllowed: string[];
  used: boolean;
}

export interface Explanation {
  rule: string;
  keyVersion: number;
  units: number;
  selection: string;
  chosen: Candidate | null;
  runnersUp: Candidate[];
  constraints: {
    municipalityCount?: number;
    allowedCount?: number;
    removed: Array<{ reason: string; count: number; codes: string[]; codesOmitted?: number }>;
    unknownCodes?: string[];
  };
  network?: NetworkExplanation | null;
  notes?: string[];
  override?: { by: string; replaced: string | null };
  /** One or two sentences in Dutch that say why (quota, removals, the need or capacity that decided, fallback). */
  summaryNl?: string;
  maatwerk?: {
    needs: Array<{ kind: string; mode: 'hard' | 'soft' }>;
    capacity: { declarationId: string; municipality: string; kind: 'dwelling' | 'flex_unit'; bedrooms: number; accessible: boolean } | null;
  };
}

export interface Family {
  reportingMunicipality: string;
  registrationStatus: string;
  reportedOn: string;
  adults: number;
  children: number;
  householdSize: number;
  childrenAges: number[];
  needs: Needs;
  networkMunicipalities: string[];
  daysWaiting: number;
}

export interface Allocation {
  id: string;
  registrationId: string;
  municipality: string;
  status: string;
  kind: 'engine' | 'override';
  units: number;
  keyVersion: number;
  period: string;
  createdAt: string;
  decidedAt: string | null;
  reason: string | null;
  explanation: Explanation;
  family: Family;
}

/** Name and birth date are null once the case's personal data is erased (pseudonymised); the birth year stays. */
export interface Person {
  name: string | null;
  birthDate: string | null;
  birthYear: number;
}

export interface Registration {
  id: string;
  status: string;
  reportingMunicipality: string;
  receivingMunicipality: string | null;
  reportedOn: string;
  subgroup: string;
  householdSize: number;
  adults: number;
  children: number;
  outcome: string | null;
  createdAt: string;
  updatedAt: string;
  household?: { adults: Person[]; children: Person[] };
  /** available, withheld or erased (SECURITY.md, retention). */
  personalData?: 'available' | 'withheld' | 'erased';
  pseudonymisedAt?: string | null;
  networkMunicipalities?: string[];
  excludedMunicipalities?: string[];
  needs?: Needs;
  notes?: string | null;
  activeAllocationId?: string | null;
  transferredOn?: string | null;
  duplicateAttempts?: Array<{ attemptedBy: string; attemptedAt: string }>;
  earlierCase?: { registrationId: string; outcome: string | null; earlierCases: number; repeatedReturn: boolean } | null;
}

export interface HistoryEntry {
  at: string;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  allocationId: string | null;
  municipality: string | null;
  actor: { sub: string; role: string; municipality: string | null };
  reason: string | null;
}

export interface ShelterStay {
  id: string;
  municipality: string;
  type: string;
  startDate: string;
  endDate: string | null;
  nightlyCostCents: number;
  location: string | null;
  closedAutomatically: boolean;
  nights: number;
  costCents: number;
}

export interface ShelterStayPage {
  items: ShelterStay[];
  total: number;
  totalNights: number;
  totalCostCents: number;
}

export interface Signal {
  id: string;
  registrationId: string;
  allocationId: string | null;
  stage: string;
  level: 'reminder' | 'escalation';
  municipality: string | null;
  stageStartedAt: string;
  dueAt: string;
  raisedAt: string;
  resolvedAt: string | null;
}

export interface RegistrationSignals {
  deadline: { stage: string; startedAt: string; dueAt: string; escalatesAt: string; municipality: string | null } | null;
  items: Signal[];
}
