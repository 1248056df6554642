// Steps of a registration's life through HTTP, shared by the workflow tests and drills.
import { expect } from 'vitest';
import type { TestApp } from './harness.js';
import { familyBody } from './families.js';
import { waitFor } from './processes.js';
import type { CreateRegistration } from '../../src/modules/registrations/registrations-schemas.js';

export async function register(t: TestApp, overrides: Partial<CreateRegistration> = {}, municipality = overrides.reportingMunicipality ?? 'GM0363') {
  const body = familyBody({ reportingMunicipality: municipality, ...overrides });
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality }), payload: body });
  expect(res.statusCode, res.body).toBe(202);
  return { id: res.json().id as string, body, municipality };
}

export async function registrationAs(t: TestApp, id: string, headers?: Record<string, string>) {
  const res = await t.app.inject({ url: `/api/v1/registrations/${id}`, headers: headers ?? (await t.auth('coordinator')) });
  return res;
}

/** Waits until the worker has moved the registration out of `queued`; returns its detail. */
export async function waitForStatus(t: TestApp, id: string, status: string, timeoutMs = 20_000) {
  const headers = await t.auth('coordinator');
  return waitFor(async () => {
    const res = await t.app.inject({ url: `/api/v1/registrations/${id}`, headers });
    const body = res.json();
    return body.status === status ? body : undefined;
  }, `registration ${id} to become ${status}`, timeoutMs);
}

export async function activeAllocation(t: TestApp, registrationId: string) {
  const reg = (await registrationAs(t, registrationId)).json();
  expect(reg.activeAllocationId).toBeTruthy();
  const res = await t.app.inject({ url: `/api/v1/allocations/${reg.activeAllocationId}`, headers: await t.auth('coordinator') });
  expect(res.statusCode).toBe(200);
  return res.json();
}

export async function coordinatorPost(t: TestApp, url: string, payload?: object) {
  return t.app.inject({ method: 'POST', url, headers: await t.auth('coordinator'), ...(payload ? { payload } : {}) });
}
