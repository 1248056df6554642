// Outgoing webhook requests without server-side request forgery: the target must be https and
// resolve to public addresses only, checked at the moment of connecting (the resolver's answer
// is the address connected to, so a DNS answer that changes after the check cannot redirect the
// request to the internal network). No redirects are followed; the whole request has a deadline.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses no webhook may reach: loopback, private, link-local, shared, documentation, multicast,
 * reserved. An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is checked against the IPv4 rules by
 * BlockList itself (a ::ffff:0:0/96 rule would match every IPv4 address).
 */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type TargetProblem = 'https_required' | 'credentials_in_url' | 'target_not_allowed' | 'target_unresolvable';

const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Whether a subscription may point at this URL: https (http only when private targets are
 * allowed, for development), no user name or password in it (they would end up in logs), and
 * every address the host resolves to public. Null when fine.
 */
export async function targetProblem(raw: string, allowPrivate: boolean): Promise<TargetProblem | null> {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'https_required';
  if (url.username || url.password) return 'credentials_in_url';
  if (allowPrivate) return null;
  const host = bareHost(url);
  if (isIP(host)) return isPublicAddress(host) ? null : 'target_not_allowed';
  try {
    const addresses = await dnsLookupAsync(host, { all: true });
    if (addresses.length === 0) return 'target_unresolvable';
    return addresses.every((a) => isPublicAddress(a.address)) ? null : 'target_not_allowed';
  } catch {
    return 'target_unresolvable';
  }
}

export type DeliveryFailure = 'timeout' | 'unreachable' | 'unresolvable' | 'target_not_allowed' | 'tls' | 'network';

export class DeliveryError extends Error {
  constructor(
    readonly kind: DeliveryFailure,
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`);
    this.name = 'DeliveryError';
  }
}

const REFUSED = 'ETARGETREFUSED';

/** A resolver for the connection itself: refuses a name whose addresses are not all public. */
function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { family: options.family ?? 0, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      if (addresses.length === 0 || (!allowPrivate && !addresses.every((a) => isPublicAddress(a.address)))) {
        return callback(Object.assign(new Error('the target resolves to an address that is not public'), { code: REFUSED }));
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function classify(err: NodeJS.ErrnoException): DeliveryError {
  const code = err.code ?? '';
  if (code === REFUSED) return new DeliveryError('target_not_allowed', 'the target resolves to an address that is not public');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new DeliveryError('unresolvable', code);
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return new DeliveryError('unreachable', code);
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL')) return new DeliveryError('tls', code);
  return new DeliveryError('network', code || err.message.slice(0, 100));
}

/**
 * One POST with a deadline for the whole exchange (connect, TLS, the answer's headers). The
 * answer's body is not read: only its status counts. Resolves with the status; rejects with a
 * DeliveryError for anything that produced no status.
 */
export function postJson(target: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<number> {
  const url = new URL(target);
  const host = bareHost(url);
  if (isIP(host) && !opts.allowPrivate && !isPublicAddress(host)) {
    return Promise.reject(new DeliveryError('target_not_allowed', 'the target is an address that is not public'));
  }
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' && opts.allowPrivate ? http : null;
  if (!client) return Promise.reject(new DeliveryError('target_not_allowed', 'only https targets are allowed'));
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(opts.allowPrivate) as never,
      // A fresh connection per delivery: a pooled socket to an endpoint that hung would be reused.
      agent: false,
    });
    const timer = setTimeout(() => {
      finish(() => reject(new DeliveryError('timeout', `no answer within ${opts.timeoutMs} ms`)));
      req.destroy();
    }, opts.timeoutMs);
    req.on('response', (res) => {
      finish(() => resolve(res.statusCode ?? 0));
      res.destroy();
    });
    req.on('error', (err) => finish(() => reject(classify(err as NodeJS.ErrnoException))));
    req.end(body);
  });
}
