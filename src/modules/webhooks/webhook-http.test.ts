import { describe, expect, it } from 'vitest';
import { DeliveryError, isPublicAddress, postJson, targetProblem } from './webhook-http.js';

describe('webhook targets (SSRF)', () => {
  it('treats loopback, private, link-local, shared, mapped and reserved addresses as not public', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.1.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:a01:203', '64:ff9b::7f00:1', 'ff02::1', 'not an address']) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of ['8.8.8.8', '145.21.1.1', '2a00:1450:4001::1']) expect(isPublicAddress(a), a).toBe(true);
  });

  it('refuses http, credentials in the URL and non-public targets at subscription time', async () => {
    expect(await targetProblem('http://example.nl/hook', false)).toBe('https_required');
    expect(await targetProblem('https://user:pw@example.nl/hook', false)).toBe('credentials_in_url');
    expect(await targetProblem('https://127.0.0.1/hook', false)).toBe('target_not_allowed');
    expect(await targetProblem('https://[::1]/hook', false)).toBe('target_not_allowed');
    expect(await targetProblem('https://169.254.169.254/latest/meta-data', false)).toBe('target_not_allowed');
    expect(await targetProblem('https://localhost/hook', false)).toBe('target_not_allowed');
    expect(await targetProblem('https://8.8.8.8/hook', false)).toBeNull();
    // The development switch allows loopback and http.
    expect(await targetProblem('http://127.0.0.1:9/hook', true)).toBeNull();
  });

  it('checks the address again when connecting: a name that resolves to loopback is refused before any byte is sent', async () => {
    const err = await postJson('https://localhost:9/hook', {}, '{}', { timeoutMs: 2_000, allowPrivate: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).kind).toBe('target_not_allowed');
    const literal = await postJson('https://10.0.0.1/hook', {}, '{}', { timeoutMs: 2_000, allowPrivate: false }).catch((e: unknown) => e);
    expect((literal as DeliveryError).kind).toBe('target_not_allowed');
    const http = await postJson('http://8.8.8.8/hook', {}, '{}', { timeoutMs: 2_000, allowPrivate: false }).catch((e: unknown) => e);
    expect((http as DeliveryError).kind).toBe('target_not_allowed');
  });
});
