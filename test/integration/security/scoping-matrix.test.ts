// Scoping (DESIGN §8) on every operation of the OpenAPI document: each kind of caller against a
// family that is in or out of its scope. A role the route does not allow gets 403; a resource out
// of scope gets 404, exactly like one that does not exist, so ids leak nothing. An operation in the
// document without an entry here fails the test, so a new endpoint cannot be forgotten.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { fixedClock, rowCounts, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';
import type { Role } from '../../../src/modules/auth/auth-tokens.js';

const REPORTER = 'GM0363'; // Amsterdam reports the family
const RECEIVER = 'GM0599'; // Rotterdam receives it (coordinator override, then accepted)
const OUTSIDER = 'GM0344'; // Utrecht has nothing to do with it
const PERIOD = '2026-H2';

/** Kinds of caller: a role with a municipality or working area that is in or out of scope. */
const CALLERS = {
  'municipality (reporting)': { role: 'municipality', municipality: REPORTER },
  'municipality (receiving, approved)': { role: 'municipality', municipality: RECEIVER },
  'municipality (out of scope)': { role: 'municipality', municipality: OUTSIDER },
  'housing corporation (working area)': { role: 'housing_corporation', municipalities: [RECEIVER] },
  'housing corporation (elsewhere)': { role: 'housing_corporation', municipalities: [OUTSIDER] },
  coordinator: { role: 'coordinator' },
  admin: { role: 'admin' },
  'policy viewer': { role: 'policy_viewer' },
} as const satisfies Record<string, { role: Role; municipality?: string; municipalities?: string[] }>;
type Caller = keyof typeof CALLERS;
const CALLER_NAMES = Object.keys(CALLERS) as Caller[];

/** The family every cell is about: accepted by RECEIVER, with an allocation and a shelter stay. */
interface Fixture {
  registrationId: string;
  allocationId: string;
  shelterStayId: string;
  /** A webhook subscription of the reporting municipality. */
  subscriptionId: string;
  documentId: string;
  /** A housing offer of the working-area corporation for the family. */
  offerId: string;
}

/** A PNG's first bytes, sent as a PDF: refused after the scope check (content_type_mismatch). */
const MISLABELLED = { kind: 'other', title: 'Matrix', contentType: 'application/pdf', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]).toString('base64') };

/**
 * Expected outcome of a cell: a status, a status with the problem code that proves which check
 * answered (e.g. a business-rule 409 shows the caller got past the scope check), or for lists
 * whether the family is in the page ('200+' yes, '200-' no). 'pass' is any answer past
 * authorisation (not 401/403/404, not 5xx), for coordinator-only operations on global settings
 * where a harmless request cannot be made precise.
 */
type Outcome = number | `${number}:${string}` | '200+' | '200-' | 'pass' | 'skip';

interface Operation {
  /** Builds the request for the fixture (or, with `id`, for another id in its place). */
  request(f: Fixture, caller: Caller, id?: string): InjectOptions;
  expect: Partial<Record<Caller, Outcome>>;
  /** How a list answer names the family, for '200+' and '200-'. */
  contains?: (body: { items: Record<string, unknown>[] }, f: Fixture) => boolean;
  /** The operation addresses a resource by id in its path: an unknown id must answer 404. */
  byId?: boolean;
  /** Another engineer may not have added it yet: absent from the document is not a failure. */
  optional?: boolean;
}

const deny = (...allowed: Caller[]) => Object.fromEntries(CALLER_NAMES.filter((c) => !allowed.includes(c)).map((c) => [c, 403])) as Partial<Record<Caller, Outcome>>;
const onlyCoordinator = (outcome: Outcome): Partial<Record<Caller, Outcome>> => ({ ...deny('coordinator'), coordinator: outcome });
const MUNICIPALITIES: Caller[] = ['municipality (reporting)', 'municipality (receiving, approved)', 'municipality (out of scope)'];
const ownCode = (c: Caller) => ('municipality' in CALLERS[c] ? (CALLERS[c] as { municipality: string }).municipality : REPORTER);
const hasRegistration = (b: { items: Record<string, unknown>[] }, f: Fixture) => b.items.some((i) => i.id === f.registrationId);
/** A municipality's aggregate answer holds its own row and no other ('200+' here means: exactly its own). */
let ownRowOnlyCaller: Caller | undefined;
const ownRowOnly = (b: { items: Record<string, unknown>[] }) => b.items.length === 1 && b.items[0]!.municipality === ownCode(ownRowOnlyCaller!);
const ownRowFor = (callers: Caller[]) => Object.fromEntries(callers.map((c) => [c, '200+'])) as Partial<Record<Caller, Outcome>>;

/** An ineligible family (no child): refused after the scope check, so nothing is stored. */
const ineligible = (reportingMunicipality: string) => familyBody({ reportingMunicipality, household: { adults: [{ bsn: '111222333', name: 'A', birthDate: '1980-01-01' }], children: [] } });

const MATRIX: Record<string, Operation> = {
  listMunicipalities: { request: () => ({ url: '/api/v1/municipalities?pageSize=1' }), expect: Object.fromEntries(CALLER_NAMES.map((c) => [c, 200])) },
  getMunicipality: { request: () => ({ url: `/api/v1/municipalities/${REPORTER}` }), expect: Object.fromEntries(CALLER_NAMES.map((c) => [c, 200])) },
  updateMunicipality: { request: () => ({ method: 'PATCH', url: `/api/v1/municipalities/${OUTSIDER}`, payload: { suspended: false } }), expect: onlyCoordinator(200) },
  listAuditEvents: { request: (f) => ({ url: `/api/v1/audit-events?registrationId=${f.registrationId}` }), expect: onlyCoordinator(200) },
  createRegistration: {
    // In scope: a family the caller reports itself (refused as ineligible, after the scope check).
    request: (_f, c) => ({ method: 'POST', url: '/api/v1/registrations', payload: ineligible(ownCode(c)) }),
    expect: { ...deny(...MUNICIPALITIES), ...Object.fromEntries(MUNICIPALITIES.map((c) => [c, '400:eligibility_failed'])) },
  },
  listRegistrations: {
    request: () => ({ url: '/api/v1/registrations?pageSize=200' }),
    contains: hasRegistration,
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': '200+', 'municipality (receiving, approved)': '200+', 'municipality (out of scope)': '200-', coordinator: '200+' },
  },
  getRegistration: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ url: `/api/v1/registrations/${id}` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  getRegistrationHistory: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ url: `/api/v1/registrations/${id}/history` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  listAllocations: {
    request: () => ({ url: '/api/v1/allocations?pageSize=200' }),
    contains: (b, f) => b.items.some((i) => i.id === f.allocationId),
    // A municipality's list holds the allocations of families it reported and those made to it
    // from approval on: the same rule as reading one allocation.
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': '200+', 'municipality (receiving, approved)': '200+', 'municipality (out of scope)': '200-', coordinator: '200+' },
  },
  getAllocation: {
    byId: true,
    request: (f, _c, id = f.allocationId) => ({ url: `/api/v1/allocations/${id}` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  approveAllocation: { byId: true, request: (f, _c, id = f.allocationId) => ({ method: 'POST', url: `/api/v1/allocations/${id}/approve` }), expect: onlyCoordinator('409:illegal_transition') },
  rejectAllocation: {
    byId: true,
    request: (f, _c, id = f.allocationId) => ({ method: 'POST', url: `/api/v1/allocations/${id}/reject`, payload: { reason: 'Matrix: no capacity' } }),
    expect: onlyCoordinator('409:illegal_transition'),
  },
  acceptAllocation: {
    byId: true,
    request: (f, _c, id = f.allocationId) => ({ method: 'POST', url: `/api/v1/allocations/${id}/accept` }),
    // Only the receiving municipality decides; to anyone else the decision does not exist.
    expect: { ...deny(...MUNICIPALITIES), 'municipality (reporting)': 404, 'municipality (receiving, approved)': '409:illegal_transition', 'municipality (out of scope)': 404 },
  },
  declineAllocation: {
    byId: true,
    request: (f, _c, id = f.allocationId) => ({ method: 'POST', url: `/api/v1/allocations/${id}/decline`, payload: { reason: 'Matrix: no housing' } }),
    expect: { ...deny(...MUNICIPALITIES), 'municipality (reporting)': 404, 'municipality (receiving, approved)': '409:illegal_transition', 'municipality (out of scope)': 404 },
  },
  overrideAllocation: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ method: 'POST', url: `/api/v1/registrations/${id}/allocations`, payload: { municipality: OUTSIDER, reason: 'Matrix override' } }),
    expect: onlyCoordinator('409:illegal_transition'),
  },
  reproposeRegistration: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ method: 'POST', url: `/api/v1/registrations/${id}/reproposal`, payload: {} }),
    expect: onlyCoordinator('409:illegal_transition'),
  },
  transferRegistration: {
    byId: true,
    // A date in the future: refused by the service after the scope check (date_out_of_range).
    request: (f, _c, id = f.registrationId) => ({ method: 'POST', url: `/api/v1/registrations/${id}/transfer`, payload: { transferredOn: '2099-01-01' } }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator'),
      'municipality (reporting)': '400:date_out_of_range',
      'municipality (receiving, approved)': '400:date_out_of_range',
      'municipality (out of scope)': 404,
      coordinator: '400:date_out_of_range',
    },
  },
  recordOutcome: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, payload: { type: 'housed' } }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator'),
      'municipality (reporting)': '409:illegal_transition',
      'municipality (receiving, approved)': '409:illegal_transition',
      'municipality (out of scope)': 404,
      coordinator: '409:illegal_transition',
    },
  },
  createShelterStay: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ method: 'POST', url: `/api/v1/registrations/${id}/shelter-stays`, payload: { type: 'hotel', startDate: '2099-01-01', nightlyCostCents: 100 } }),
    // The receiving municipality sees the family but does not shelter it.
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator'),
      'municipality (reporting)': '400:future_date',
      'municipality (receiving, approved)': 403,
      'municipality (out of scope)': 404,
      coordinator: '400:future_date',
    },
  },
  listShelterStays: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ url: `/api/v1/registrations/${id}/shelter-stays` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  updateShelterStay: {
    byId: true,
    request: (f, _c, id = f.shelterStayId) => ({ method: 'PATCH', url: `/api/v1/shelter-stays/${id}`, payload: { endDate: '2099-01-01' } }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator'),
      'municipality (reporting)': '400:future_date',
      'municipality (receiving, approved)': 403,
      'municipality (out of scope)': 404,
      coordinator: '400:future_date',
    },
  },
  correctShelterStay: {
    byId: true,
    request: (f, _c, id = f.shelterStayId) => ({ method: 'POST', url: `/api/v1/shelter-stays/${id}/corrections`, payload: { startDate: '2099-01-01' } }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator'),
      'municipality (reporting)': '400:future_date',
      'municipality (receiving, approved)': 403,
      'municipality (out of scope)': 404,
      coordinator: '400:future_date',
    },
  },
  addRegistrationDocument: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ method: 'POST', url: `/api/v1/registrations/${id}/documents`, payload: MISLABELLED }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator'),
      'municipality (reporting)': '400:content_type_mismatch',
      'municipality (receiving, approved)': '400:content_type_mismatch',
      'municipality (out of scope)': 404,
      coordinator: '400:content_type_mismatch',
    },
  },
  listRegistrationDocuments: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ url: `/api/v1/registrations/${id}/documents` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  getRegistrationDocument: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ url: `/api/v1/registrations/${id}/documents/${f.documentId}` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  eraseRegistration: {
    byId: true,
    // The family's case is still open: refused after the scope check.
    request: (f, _c, id = f.registrationId) => ({ method: 'POST', url: `/api/v1/registrations/${id}/erasure`, payload: { reason: 'data_subject_request' } }),
    expect: onlyCoordinator('409:illegal_transition'),
  },
  getShelterReport: {
    // The resource is the reporting municipality's report.
    request: () => ({ url: `/api/v1/reports/shelter?period=${PERIOD}&municipality=${REPORTER}` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 404, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  listAssignedFamilies: {
    optional: true,
    request: () => ({ url: '/api/v1/assigned-families?pageSize=200' }),
    contains: (b, f) => b.items.some((i) => i.registrationId === f.registrationId),
    expect: { ...deny('housing corporation (working area)', 'housing corporation (elsewhere)'), 'housing corporation (working area)': '200+', 'housing corporation (elsewhere)': '200-' },
  },
  // Housing offers (issue 15): the corporation that made it, the receiving municipality, the coordinator.
  createHousingOffer: {
    byId: true,
    // An offer dated in the future: refused after the scope check, so nothing is stored.
    request: (f, _c, id = f.registrationId) => ({
      method: 'POST',
      url: '/api/v1/housing-offers',
      payload: { registrationId: id, municipality: RECEIVER, offeredOn: '2099-01-01', moveInDate: null, bedrooms: 3, accessible: false },
    }),
    expect: {
      ...deny('housing corporation (working area)', 'housing corporation (elsewhere)'),
      'housing corporation (working area)': '400:future_date',
      'housing corporation (elsewhere)': 404,
    },
  },
  listHousingOffers: {
    request: () => ({ url: '/api/v1/housing-offers?pageSize=200' }),
    contains: (b, f) => b.items.some((i) => i.id === f.offerId),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'),
      'municipality (reporting)': '200-',
      'municipality (receiving, approved)': '200+',
      'municipality (out of scope)': '200-',
      'housing corporation (working area)': '200+',
      'housing corporation (elsewhere)': '200-',
      coordinator: '200+',
    },
  },
  getHousingOffer: {
    byId: true,
    request: (f, _c, id = f.offerId) => ({ url: `/api/v1/housing-offers/${id}` }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'),
      'municipality (reporting)': 404,
      'municipality (receiving, approved)': 200,
      'municipality (out of scope)': 404,
      'housing corporation (working area)': 200,
      'housing corporation (elsewhere)': 404,
      coordinator: 200,
    },
  },
  updateHousingOffer: {
    byId: true,
    // A move-in date before the offer: the corporation that made it gets the field error; the move-in date is not the receiving side's to set (403).
    request: (f, _c, id = f.offerId) => ({ method: 'PATCH', url: `/api/v1/housing-offers/${id}`, payload: { moveInDate: '2020-01-01' } }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'),
      'municipality (reporting)': 404,
      'municipality (receiving, approved)': 403,
      'municipality (out of scope)': 404,
      'housing corporation (working area)': '400:before_offer',
      'housing corporation (elsewhere)': 404,
      coordinator: 403,
    },
  },
  // Coordinator-only settings and figures: no per-family scope.
  getDistributionKey: { optional: true, request: () => ({ url: '/api/v1/distribution/key' }), expect: onlyCoordinator(200) },
  setDistributionKey: { optional: true, request: () => ({ method: 'PUT', url: '/api/v1/distribution/key', payload: {} }), expect: onlyCoordinator('pass') },
  getDistributionBalances: {
    optional: true,
    request: () => ({ url: `/api/v1/distribution/balances?period=${PERIOD}` }),
    contains: ownRowOnly,
    expect: { ...deny(...MUNICIPALITIES, 'coordinator', 'policy viewer'), ...ownRowFor(MUNICIPALITIES), coordinator: 200, 'policy viewer': 200 },
  },
  closeDistributionPeriod: { optional: true, request: () => ({ method: 'POST', url: '/api/v1/distribution/periods/2099-H1/close' }), expect: onlyCoordinator('pass') },
  mergeMunicipalities: { optional: true, request: () => ({ method: 'POST', url: '/api/v1/distribution/mergers', payload: {} }), expect: onlyCoordinator('pass') },
  getDistributionReport: {
    optional: true,
    request: () => ({ url: `/api/v1/reports/distribution?period=${PERIOD}` }),
    contains: ownRowOnly,
    // A municipality reads its own row only (and the national line); a policy_viewer every row, suppressed.
    expect: { ...deny(...MUNICIPALITIES, 'coordinator', 'policy viewer'), ...ownRowFor(MUNICIPALITIES), coordinator: 200, 'policy viewer': 200 },
  },
  getComplianceReport: {
    request: () => ({ url: `/api/v1/reports/compliance?period=${PERIOD}` }),
    contains: ownRowOnly,
    expect: { ...deny(...MUNICIPALITIES, 'coordinator', 'policy viewer'), ...ownRowFor(MUNICIPALITIES), coordinator: 200, 'policy viewer': 200 },
  },
  getArrivalsReport: {
    request: () => ({ url: '/api/v1/reports/arrivals?from=2026-01-01&to=2026-12-31' }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator', 'policy viewer'), ...Object.fromEntries(MUNICIPALITIES.map((c) => [c, 200])), coordinator: 200, 'policy viewer': 200 },
  },
  getLeadTimesReport: {
    // A municipality's figures are those of the families it reported: the fixture's month counts for the reporter only.
    request: () => ({ url: '/api/v1/reports/lead-times?from=2026-11&to=2026-11' }),
    contains: (b) => (b.items[0]!.registrations as number) > 0,
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator', 'policy viewer'),
      'municipality (reporting)': '200+',
      'municipality (receiving, approved)': '200-',
      'municipality (out of scope)': '200-',
      coordinator: '200+',
      // Two families reported in the month: "<5", not a number.
      'policy viewer': '200-',
    },
  },
  listSignals: {
    request: () => ({ url: '/api/v1/signals?status=all&pageSize=200' }),
    contains: (b, f) => b.items.some((i) => i.registrationId === f.registrationId),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': '200+', 'municipality (receiving, approved)': '200+', 'municipality (out of scope)': '200-', coordinator: '200+' },
  },
  getRegistrationSignals: {
    byId: true,
    request: (f, _c, id = f.registrationId) => ({ url: `/api/v1/registrations/${id}/signals` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 200, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  // Webhook subscriptions belong to an organisation: the reporting municipality's is its own.
  createWebhookSubscription: {
    // A URL that is refused after the role check (credentials in it), so nothing is stored.
    request: () => ({ method: 'POST', url: '/api/v1/webhook-subscriptions', payload: { url: 'https://user:pw@example.nl/hook' } }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'),
      ...Object.fromEntries([...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'].map((c) => [c, '400:credentials_in_url'])),
    },
  },
  listWebhookSubscriptions: {
    request: () => ({ url: '/api/v1/webhook-subscriptions?pageSize=200' }),
    contains: (b, f) => b.items.some((i) => i.id === f.subscriptionId),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'),
      'municipality (reporting)': '200+', 'municipality (receiving, approved)': '200-', 'municipality (out of scope)': '200-', coordinator: '200+',
      'housing corporation (working area)': '200-', 'housing corporation (elsewhere)': '200-',
    },
  },
  getWebhookSubscription: {
    byId: true,
    request: (f, _c, id = f.subscriptionId) => ({ url: `/api/v1/webhook-subscriptions/${id}` }),
    expect: subscriptionOwner(200),
  },
  listWebhookDeliveries: {
    byId: true,
    request: (f, _c, id = f.subscriptionId) => ({ url: `/api/v1/webhook-subscriptions/${id}/deliveries` }),
    expect: subscriptionOwner(200),
  },
  deleteWebhookSubscription: {
    byId: true,
    // The owner's delete is tested in webhooks/; here only those who may not delete it try (nobody deletes the fixture).
    request: (f, _c, id = f.subscriptionId) => ({ method: 'DELETE', url: `/api/v1/webhook-subscriptions/${id}` }),
    expect: { ...subscriptionOwner(404), 'municipality (reporting)': 'skip', coordinator: 'skip' },
  },
  // What-if simulations (issue 15): figures only, no family; the coordinator and a policy_viewer.
  simulateDistribution: {
    request: () => ({ method: 'POST', url: '/api/v1/distribution/simulations', payload: { key: { kind: 'population' }, units: 100 } }),
    expect: { ...deny('coordinator', 'policy viewer'), coordinator: 200, 'policy viewer': 200 },
  },
  getNeedsPolicy: { request: () => ({ url: '/api/v1/distribution/needs-policy' }), expect: onlyCoordinator(200) },
  setNeedsPolicy: { request: () => ({ method: 'PUT', url: '/api/v1/distribution/needs-policy', payload: {} }), expect: onlyCoordinator('pass') },
  // The current key has no shelter credit: booking changes nothing.
  bookShelterCredits: { request: () => ({ method: 'POST', url: '/api/v1/distribution/shelter-credits' }), expect: onlyCoordinator(200) },
  getMaatwerkReport: { request: () => ({ url: `/api/v1/reports/maatwerk?period=${PERIOD}` }), expect: onlyCoordinator(200) },
  // Maatwerk: a municipality reads and writes its own profile (the receiver's here), the coordinator every one.
  getMunicipalityProfile: {
    request: () => ({ url: `/api/v1/municipalities/${RECEIVER}/profile` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 404, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  listMunicipalityProfileVersions: {
    request: () => ({ url: `/api/v1/municipalities/${RECEIVER}/profile/versions` }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 404, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  putMunicipalityProfile: {
    // The profile it already has (none): PUT is idempotent, so nothing is written.
    request: () => ({ method: 'PUT', url: `/api/v1/municipalities/${RECEIVER}/profile`, payload: { facilities: {}, labourMarketRegion: null, wmoRegion: null, note: null } }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator'), 'municipality (reporting)': 404, 'municipality (receiving, approved)': 200, 'municipality (out of scope)': 404, coordinator: 200 },
  },
  declareCapacity: {
    // A past period: refused after the scope check, so an allowed caller gets the field error.
    request: () => ({ method: 'POST', url: '/api/v1/capacity-declarations', payload: { municipality: RECEIVER, period: '2026-H1', kind: 'dwelling', units: 1, bedrooms: 3, accessible: false } }),
    expect: {
      ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'),
      'municipality (reporting)': 403,
      'municipality (receiving, approved)': '400:period_past',
      'municipality (out of scope)': 403,
      'housing corporation (working area)': '400:period_past',
      'housing corporation (elsewhere)': 403,
      coordinator: '400:period_past',
    },
  },
  listCapacityDeclarations: {
    request: () => ({ url: '/api/v1/capacity-declarations' }),
    expect: { ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'), ...Object.fromEntries([...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'].map((c) => [c, 200])) },
  },
};

/** Only the reporting municipality's subscription: another organisation's is absent (404). */
function subscriptionOwner(owner: Outcome): Partial<Record<Caller, Outcome>> {
  return {
    ...deny(...MUNICIPALITIES, 'coordinator', 'housing corporation (working area)', 'housing corporation (elsewhere)'),
    'municipality (reporting)': owner,
    'municipality (receiving, approved)': 404,
    'municipality (out of scope)': 404,
    'housing corporation (working area)': 404,
    'housing corporation (elsewhere)': 404,
    coordinator: owner,
  };
}

/** Operations without a token (their own tests live in foundation/). */
const PUBLIC_OPERATIONS = new Set(['getHealth', 'getReadiness']);

let t: TestApp;
let fixture: Fixture;
/** A second family, still only proposed to PROPOSED_TO: not yet that municipality's business. */
let proposed: { registrationId: string; allocationId: string; municipality: string };
let operations: Map<string, { method: string; path: string }>;
const clock = fixedClock('2026-11-30T10:00:00Z');

async function headers(caller: Caller): Promise<Record<string, string>> {
  const c = CALLERS[caller] as { role: Role; municipality?: string; municipalities?: string[] };
  return t.auth(c.role, { ...(c.municipality ? { municipality: c.municipality } : {}), ...(c.municipalities ? { municipalities: [...c.municipalities] } : {}), sub: `matrix:${caller}` });
}

function outcomeOf(res: LightMyRequestResponse, expected: Outcome, op: Operation): string {
  const status = res.statusCode;
  if (expected === 'pass') return status !== 401 && status !== 403 && status !== 404 && status < 500 ? 'pass' : `${status}`;
  if (expected === '200+' || expected === '200-') return status === 200 ? (op.contains!(res.json(), fixture) ? '200+' : '200-') : `${status}`;
  if (typeof expected === 'string') {
    // The problem's own code or a field error's code names the check that answered.
    const code = expected.split(':')[1]!;
    const body = res.json() as { code?: string; errors?: { code: string }[] };
    const codes = [body.code, ...(body.errors ?? []).map((e) => e.code)];
    return codes.includes(code) ? `${status}:${code}` : `${status}:${codes.join(',')}`;
  }
  return `${status}`;
}

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  const doc = t.app.swagger() as { paths: Record<string, Record<string, { operationId?: string }>> };
  operations = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) if (op.operationId) operations.set(op.operationId, { method: method.toUpperCase(), path });
  }

  // The family: registered by REPORTER, proposed by the worker, overridden to RECEIVER, accepted.
  const { id } = await register(t, {}, REPORTER);
  await waitForStatus(t, id, 'proposed');
  const override = await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: RECEIVER, reason: 'Matrix fixture' });
  expect(override.statusCode, override.body).toBe(201);
  const allocationId = override.json().id as string;
  const accepted = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${allocationId}/accept`, headers: await t.auth('municipality', { municipality: RECEIVER }) });
  expect(accepted.statusCode, accepted.body).toBe(200);
  const stay = await t.app.inject({
    method: 'POST',
    url: `/api/v1/registrations/${id}/shelter-stays`,
    headers: await t.auth('municipality', { municipality: REPORTER }),
    payload: { type: 'hotel', startDate: '2026-11-02', nightlyCostCents: 9500, location: 'Hotel De Matrix, kamer 12' },
  });
  expect(stay.statusCode, stay.body).toBe(201);
  // The family's transfer deadline passes (11 weeks on), so it has a signal; then back to today.
  clock.set('2027-02-20T10:00:00Z');
  await t.container.jobHandlers['scan-deadlines']({ v: 1 }, { jobId: 'matrix-scan', attempt: 1 });
  clock.set('2026-11-30T10:00:00Z');
  // A public address and an event type the matrix never raises: nothing is ever sent to it.
  const subscription = await t.app.inject({
    method: 'POST',
    url: '/api/v1/webhook-subscriptions',
    headers: await t.auth('municipality', { municipality: REPORTER }),
    payload: { url: 'https://8.8.8.8/spreiding-matrix', eventTypes: ['nl.spreiding.registration.housed'] },
  });
  expect(subscription.statusCode, subscription.body).toBe(201);
  const added = await t.app.inject({
    method: 'POST',
    url: `/api/v1/registrations/${id}/documents`,
    headers: await t.auth('municipality', { municipality: REPORTER }),
    payload: { kind: 'self_reliance_assessment', title: 'Zelfredzaamheid matrix', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7\n%matrix\n').toString('base64') },
  });
  expect(added.statusCode, added.body).toBe(201);
  const offer = await t.app.inject({
    method: 'POST',
    url: '/api/v1/housing-offers',
    headers: await headers('housing corporation (working area)'),
    payload: { registrationId: id, municipality: RECEIVER, offeredOn: '2026-11-30', moveInDate: null, bedrooms: 3, accessible: false },
  });
  expect(offer.statusCode, offer.body).toBe(201);
  fixture = { registrationId: id, allocationId, shelterStayId: stay.json().id, documentId: added.json().id, subscriptionId: subscription.json().id, offerId: offer.json().id };

  const second = await register(t, {}, REPORTER);
  await waitForStatus(t, second.id, 'proposed');
  const proposal = await activeAllocation(t, second.id);
  proposed = { registrationId: second.id, allocationId: proposal.id, municipality: proposal.municipality };
});
afterAll(async () => {
  await t?.close();
});

describe('the matrix covers the API', () => {
  it('has an entry for every operation in the OpenAPI document', () => {
    const missing = [...operations.keys()].filter((id) => !PUBLIC_OPERATIONS.has(id) && !MATRIX[id]);
    expect(missing, 'operations without a scoping entry in this file').toEqual([]);
  });

  it('names only operations that exist (optional ones may still be on their way)', () => {
    const stale = Object.entries(MATRIX).filter(([id, op]) => !op.optional && !operations.has(id)).map(([id]) => id);
    expect(stale).toEqual([]);
    const pending = Object.entries(MATRIX).filter(([id, op]) => op.optional && !operations.has(id)).map(([id]) => id);
    // Not a failure: listed so a reader of the output sees which entries are waiting.
    if (pending.length > 0) console.info(`scoping matrix: not in the API yet: ${pending.join(', ')}`);
  });

  it('states an outcome for every kind of caller on every operation', () => {
    for (const [id, op] of Object.entries(MATRIX)) expect(Object.keys(op.expect).sort(), id).toEqual([...CALLER_NAMES].sort());
  });
});

describe('each caller on each operation', () => {
  it.each(Object.keys(MATRIX))('%s', async (operationId) => {
    const op = MATRIX[operationId]!;
    if (!operations.has(operationId)) return; // optional and not there yet (reported above)
    const before = await rowCounts(t.databaseUrl);
    const actual: Partial<Record<Caller, string>> = {};
    const wanted: Partial<Record<Caller, string>> = {};
    for (const caller of CALLER_NAMES) {
      const expected = op.expect[caller]!;
      if (expected === 'skip') continue;
      ownRowOnlyCaller = caller;
      const req = op.request(fixture, caller);
      const res = await t.app.inject({ ...req, headers: { ...(await headers(caller)), ...req.headers } } as InjectOptions);
      if (res.statusCode >= 400) expect(res.headers['content-type'], `${operationId} as ${caller}`).toMatch(/^application\/problem\+json/);
      actual[caller] = outcomeOf(res, expected, op);
      wanted[caller] = String(expected);
    }
    expect(actual).toEqual(wanted);
    // The matrix changes nothing but the processing log (reads of personal data are logged).
    const after = await rowCounts(t.databaseUrl);
    expect({ ...after, audit_events: 0 }).toEqual({ ...before, audit_events: 0 });
  });

  it('leaves the family as it was', async () => {
    const res = await t.app.inject({ url: `/api/v1/registrations/${fixture.registrationId}`, headers: await t.auth('coordinator') });
    expect(res.json()).toMatchObject({ status: 'accepted', receivingMunicipality: RECEIVER });
  });
});

describe('out of scope is indistinguishable from absent', () => {
  const byId = Object.entries(MATRIX).filter(([, op]) => op.byId);
  it.each(byId.map(([id]) => id))('%s: an unknown id and an out-of-scope id get the same 404', async (operationId) => {
    const op = MATRIX[operationId]!;
    if (!operations.has(operationId)) return;
    const scoped = CALLER_NAMES.filter((c) => op.expect[c] === 404);
    const allowed = CALLER_NAMES.filter((c) => op.expect[c] !== 403);
    for (const caller of allowed) {
      const req = op.request(fixture, caller, randomUUID());
      const unknown = await t.app.inject({ ...req, headers: await headers(caller) } as InjectOptions);
      expect(unknown.statusCode, `${operationId} as ${caller} with an unknown id`).toBe(404);
      const { instance: _i, ...unknownBody } = unknown.json();
      for (const other of scoped) {
        const outOfScope = await t.app.inject({ ...op.request(fixture, other), headers: await headers(other) } as InjectOptions);
        const { instance: _j, ...outBody } = outOfScope.json();
        expect(outBody, `${operationId}: ${other} on the family vs ${caller} on an unknown id`).toEqual(unknownBody);
      }
    }
  });
});

describe('a proposal is not yet the proposed municipality’s business', () => {
  it('hides the family, its allocation and its shelter from the municipality it is only proposed to', async () => {
    const h = await t.auth('municipality', { municipality: proposed.municipality, sub: 'matrix:proposed' });
    const r = proposed.registrationId;
    const a = proposed.allocationId;
    const cells: Array<[string, InjectOptions]> = [
      ['getRegistration', { url: `/api/v1/registrations/${r}` }],
      ['getRegistrationHistory', { url: `/api/v1/registrations/${r}/history` }],
      ['listShelterStays', { url: `/api/v1/registrations/${r}/shelter-stays` }],
      ['getAllocation', { url: `/api/v1/allocations/${a}` }],
      ['acceptAllocation', { method: 'POST', url: `/api/v1/allocations/${a}/accept` }],
      ['declineAllocation', { method: 'POST', url: `/api/v1/allocations/${a}/decline`, payload: { reason: 'not ours yet' } }],
      ['transferRegistration', { method: 'POST', url: `/api/v1/registrations/${r}/transfer`, payload: { transferredOn: '2026-11-29' } }],
      ['recordOutcome', { method: 'POST', url: `/api/v1/registrations/${r}/outcome`, payload: { type: 'withdrawn' } }],
      ['createShelterStay', { method: 'POST', url: `/api/v1/registrations/${r}/shelter-stays`, payload: { type: 'hotel', startDate: '2026-11-03', nightlyCostCents: 1 } }],
    ];
    const statuses = Object.fromEntries(await Promise.all(cells.map(async ([name, req]) => [name, (await t.app.inject({ ...req, headers: h })).statusCode] as const)));
    expect(statuses).toEqual(Object.fromEntries(cells.map(([name]) => [name, 404])));
    const list = await t.app.inject({ url: '/api/v1/registrations?pageSize=200', headers: h });
    expect(list.json().items.map((i: { id: string }) => i.id)).not.toContain(r);
    const allocations = await t.app.inject({ url: '/api/v1/allocations?pageSize=200', headers: h });
    expect(allocations.json().items.map((i: { id: string }) => i.id)).not.toContain(a);
    if (operations.has('listAssignedFamilies')) {
      const corpHeaders = await t.auth('housing_corporation', { municipalities: [proposed.municipality] });
      const corp = await t.app.inject({ url: '/api/v1/assigned-families?pageSize=200', headers: corpHeaders });
      expect(corp.json().items.map((i: { registrationId: string }) => i.registrationId)).not.toContain(r);
      // Nor can a corporation of that municipality offer it a dwelling yet.
      const offer = await t.app.inject({
        method: 'POST', url: '/api/v1/housing-offers', headers: corpHeaders,
        payload: { registrationId: r, municipality: proposed.municipality, offeredOn: '2026-11-30', moveInDate: null, bedrooms: 3, accessible: false },
      });
      expect(offer.statusCode).toBe(404);
    }
    // The proposal is untouched.
    expect((await activeAllocation(t, r)).status).toBe('proposed');
  });

  it('gives a housing corporation no personal data: no BSN, name, notes or shelter location anywhere in its answer', async () => {
    if (!operations.has('listAssignedFamilies')) return;
    const res = await t.app.inject({ url: '/api/v1/assigned-families?pageSize=200', headers: await headers('housing corporation (working area)') });
    expect(res.statusCode).toBe(200);
    const detail = (await t.app.inject({ url: `/api/v1/registrations/${fixture.registrationId}`, headers: await t.auth('coordinator') })).json();
    const secrets = [...detail.household.adults, ...detail.household.children].flatMap((p: { bsn: string; name: string }) => [p.bsn, p.name]);
    for (const s of [...secrets, detail.notes, 'Hotel De Matrix']) expect(res.body).not.toContain(s);
    const item = res.json().items.find((i: { registrationId: string }) => i.registrationId === fixture.registrationId);
    expect(item).toBeDefined();
    expect(item).not.toHaveProperty('household');
  });
});
