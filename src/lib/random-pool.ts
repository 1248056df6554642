import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for the per-request hot path (GCM nonces, trace and span ids). `randomBytes` makes a
 * system call every time: at a few hundred registrations a second that was about 4 % of the api's
 * CPU (CPU profile, 2026-12-05). This takes them from a pool filled by the same CSPRNG 4 KiB at a
 * time, as Node's own `randomUUID` does. Each caller gets a copy; no byte is handed out twice.
 * Not for keys or secrets (they use `randomBytes` directly; there a system call is nothing).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

export function pooledRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES) throw new RangeError(`pooledRandomBytes: at most ${POOL_BYTES} bytes`);
  if (offset + n > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  offset += n;
  return out;
}
