import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../lib/errors';

export const TIMESTAMP_HEADER = 'x-bridge-timestamp';
export const SIGNATURE_HEADER = 'x-bridge-signature';
export const MAX_SKEW_SECONDS = 300;

/** What a signature covers: one request, its method and target as well as its body. */
export interface SignedRequest {
  /** Unix seconds, as sent in X-Bridge-Timestamp. */
  timestamp: string;
  /** GET, POST, … (signed in upper case). */
  method: string;
  /** The request target from /v1/ on, with its query string exactly as sent. */
  path: string;
  rawBody: string | Buffer;
}

/** The signing scheme: the prefix of every signature, and what GET /v1/ping tells clients. */
export const SIGNATURE_SCHEME = 'v2';
const PREFIX = `${SIGNATURE_SCHEME}=`;
const SHAPE = new RegExp(`^${PREFIX}([0-9a-f]{64})$`);

/**
 * v2=<lowercase hex HMAC-SHA256(secret, timestamp "\n" METHOD "\n" path "\n" raw body)>: the one
 * signing function of the sidecar and its TypeScript clients (the plugin has its PHP twin).
 */
export function sign(secret: string, request: SignedRequest): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${request.timestamp}\n${request.method.toUpperCase()}\n${request.path}\n`);
  mac.update(request.rawBody);
  return `${PREFIX}${mac.digest('hex')}`;
}

/** The part of a request target that is signed: from /v1/ on (a proxy may have served it under a prefix). */
export function signedPath(requestTarget: string): string {
  const at = requestTarget.indexOf('/v1/');
  return at > 0 ? requestTarget.slice(at) : requestTarget;
}

/** Why a request's signature is refused, or null when it is good. */
export function signatureProblem(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  request: Omit<SignedRequest, 'timestamp'>,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): string | null {
  if (!timestamp) return 'missing X-Bridge-Timestamp header';
  if (!signature) return 'missing X-Bridge-Signature header';
  if (/^sha256=/.test(signature)) {
    return `X-Bridge-Signature uses the old sha256= scheme, which does not cover the method and path; upgrade the contact-bridge plugin (or client) to one that signs ${PREFIX}`;
  }
  if (!/^\d{1,12}$/.test(timestamp)) return 'X-Bridge-Timestamp is not a unix time in seconds';
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return `X-Bridge-Timestamp is more than ${MAX_SKEW_SECONDS} s away from the server's clock`;
  }
  const match = SHAPE.exec(signature);
  if (!match) return `X-Bridge-Signature is not ${PREFIX}<64 lowercase hex digits>`;
  const expected = Buffer.from(sign(secret, { ...request, timestamp }).slice(PREFIX.length), 'hex');
  const given = Buffer.from(match[1], 'hex');
  return timingSafeEqual(expected, given) ? null : 'signature does not match';
}

/** Express middleware: refuses any request whose signature is missing, stale or wrong (401). */
export function requireSignature(secret: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const problem = signatureProblem(secret, req.get(TIMESTAMP_HEADER), req.get(SIGNATURE_HEADER), {
      method: req.method,
      path: signedPath(req.originalUrl),
      rawBody,
    });
    if (problem) {
      next(new AppError('UNAUTHORIZED', `Request refused: ${problem}.`, 401));
      return;
    }
    next();
  };
}
