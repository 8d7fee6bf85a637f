/** A small signed HTTP client for the sidecar's /v1 API, as any other client would write it. */
import { sign, signedPath } from '../sidecar/src/entry-points/http/signature';

/** The request target fetch() sends for this path (it percent-encodes some characters, resolves dot segments). */
export function targetAsSent(pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://sidecar.invalid');
  return signedPath(url.pathname + url.search);
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface SignedClientOptions {
  baseUrl: string;
  secret: string;
}

export class SignedClient {
  constructor(private readonly options: SignedClientOptions) {}

  /** The two signature headers of one request (signature v2: timestamp, method, path and query as sent, body). */
  headersFor(
    method: string,
    pathAndQuery: string,
    rawBody: string | Buffer = '',
    timestamp = Math.floor(Date.now() / 1000),
  ): Record<string, string> {
    const ts = String(timestamp);
    return {
      'X-Bridge-Timestamp': ts,
      'X-Bridge-Signature': sign(this.options.secret, { timestamp: ts, method, path: targetAsSent(pathAndQuery), rawBody }),
    };
  }

  async post<T = any>(path: string, body: unknown, extraHeaders: Record<string, string> = {}): Promise<Reply<T>> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return this.raw<T>('POST', path, raw, { 'Content-Type': 'application/json', ...this.headersFor('POST', path, raw), ...extraHeaders });
  }

  async get<T = any>(path: string, extraHeaders: Record<string, string> = {}): Promise<Reply<T>> {
    return this.raw<T>('GET', path, undefined, { ...this.headersFor('GET', path), ...extraHeaders });
  }

  /** Sends exactly these bytes and headers (for tampering tests). */
  async raw<T = any>(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>): Promise<Reply<T>> {
    const response = await fetch(`${this.options.baseUrl}${path}`, { method, body, headers });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
}
