import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, principalFromClaims, signToken, VERIFIED_TOKEN_TTL_MS } from './auth-tokens.js';

const SECRET = 'unit-secret-unit-secret-unit-secret-0123456789';
const verifier = () => createTokenVerifier({ jwtSecret: SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined });
const token = (expiresInSeconds = 3600) => signToken(SECRET, { sub: 'unit:a', role: 'housing_corporation', municipalities: ['GM0344', 'GM0344', 'GM0307'], expiresInSeconds });

afterEach(() => {
  vi.useRealTimers();
});

describe('verified tokens are remembered briefly', () => {
  it('answers the same token with the same, frozen principal', async () => {
    const verify = verifier();
    const t = await token();
    const a = await verify(t);
    expect(a).toEqual({ sub: 'unit:a', role: 'housing_corporation', municipalities: ['GM0344', 'GM0307'] });
    expect(await verify(t)).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.municipalities)).toBe(true);
  });

  it('verifies again after a minute, and refuses a remembered token once it expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const verify = verifier();
    const long = await token();
    const a = await verify(long);
    vi.setSystemTime(Date.now() + VERIFIED_TOKEN_TTL_MS + 1);
    const b = await verify(long);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);

    const short = await token(10);
    await verify(short);
    // exp + jose's 5 s tolerance has passed: refused, not answered from memory.
    vi.setSystemTime(Date.now() + 16_000);
    await expect(verify(short)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('never remembers a refusal', async () => {
    const verify = verifier();
    const good = await token();
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${'A'.repeat(43)}`;
    await expect(verify(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(verify(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(verify(good)).resolves.toMatchObject({ sub: 'unit:a' });
  });
});

describe('claims are validated like any input', () => {
  it.each([
    ['a line break', 'client\n{"msg":"forged"}'],
    ['a bidirectional override', 'client\u202egnp.exe'],
    ['a leading space', ' client'],
    ['a non-ASCII letter', 'gemeente-súdwest'],
    ['201 characters', 's'.repeat(201)],
    ['nothing', ''],
  ])('refuses a subject with %s', (_what, sub) => {
    expect(() => principalFromClaims({ sub, role: 'coordinator' })).toThrow(/subject/);
  });

  it('accepts the subjects identity providers issue', () => {
    for (const sub of ['gemeente-amsterdam', 'service-account-spreiding', '6f1c1f3e-8f7e-4a57-9f0e-2a1b3c4d5e6f', 'https://idp.example/clients/42', 's'.repeat(200)]) {
      expect(principalFromClaims({ sub, role: 'coordinator' }).sub).toBe(sub);
    }
  });
});
