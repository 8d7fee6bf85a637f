import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../lib/errors';

export const TIMESTAMP_HEADER = 'x-bridge-timestamp';
export const SIGNATURE_HEADER = 'x-bridge-signature';
export const MAX_SKEW_SECONDS = 300;

/** sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)> — the one signing scheme, used by clients too. */
export function sign(secret: string, timestamp: string, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(rawBody);
  return `sha256=${mac.digest('hex')}`;
}

/** Why a request's signature is refused, or null when it is good. */
export function signatureProblem(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  rawBody: Buffer,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): string | null {
  if (!timestamp) return 'missing X-Bridge-Timestamp header';
  if (!signature) return 'missing X-Bridge-Signature header';
  if (!/^\d{1,12}$/.test(timestamp)) return 'X-Bridge-Timestamp is not a unix time in seconds';
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return `X-Bridge-Timestamp is more than ${MAX_SKEW_SECONDS} s away from the server's clock`;
  }
  const match = /^sha256=([0-9a-f]{64})$/.exec(signature);
  if (!match) return 'X-Bridge-Signature is not sha256=<64 lowercase hex digits>';
  const expected = Buffer.from(sign(secret, timestamp, rawBody).slice('sha256='.length), 'hex');
  const given = Buffer.from(match[1], 'hex');
  return timingSafeEqual(expected, given) ? null : 'signature does not match';
}

/** Express middleware: refuses any request whose signature is missing, stale or wrong (401). */
export function requireSignature(secret: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const problem = signatureProblem(secret, req.get(TIMESTAMP_HEADER), req.get(SIGNATURE_HEADER), raw);
    if (problem) {
      next(new AppError('UNAUTHORIZED', `Request refused: ${problem}.`, 401));
      return;
    }
    next();
  };
}
