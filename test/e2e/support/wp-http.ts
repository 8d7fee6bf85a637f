/**
 * A small HTTP client that behaves like a browser without JavaScript: keeps cookies, submits
 * WordPress's real forms with every field the page rendered (nonces included).
 */

export interface WpResponse {
  status: number;
  location: string | null;
  body: string;
  ms: number;
}

export type FormFields = Array<[string, string]>;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === '#') {
      const n = code[1].toLowerCase() === 'x' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : whole;
    }
    return ENTITIES[code.toLowerCase()] ?? whole;
  });
}

function attributes(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** The HTML of the form with this id. */
export function formHtml(html: string, formId: string): string {
  const re = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html)) !== null) {
    if (attributes(m[1]).id === formId) return m[0];
  }
  throw new Error(`form #${formId} not found in page`);
}

/** Fields a browser would submit for this form (without any submit button). */
export function formFields(html: string, formId: string): FormFields {
  const form = formHtml(html, formId);
  const fields: FormFields = [];
  const re = /<input\b([^>]*)>|<select\b([^>]*)>([\s\S]*?)<\/select>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(form)) !== null) {
    if (m[1] !== undefined) {
      const a = attributes(m[1]);
      const type = (a.type ?? 'text').toLowerCase();
      if (!a.name || 'disabled' in a || ['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
      if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
      fields.push([a.name, a.value ?? (type === 'checkbox' || type === 'radio' ? 'on' : '')]);
    } else if (m[2] !== undefined) {
      const a = attributes(m[2]);
      if (!a.name || 'disabled' in a) continue;
      const options = [...m[3].matchAll(/<option\b([^>]*)>([\s\S]*?)<\/option>/gi)].map((o) => {
        const oa = attributes(o[1]);
        return { value: oa.value ?? decodeEntities(o[2]).trim(), selected: 'selected' in oa };
      });
      const chosen = options.find((o) => o.selected) ?? options[0];
      if (chosen) fields.push([a.name, chosen.value]);
    } else if (m[4] !== undefined) {
      const a = attributes(m[4]);
      if (!a.name || 'disabled' in a) continue;
      fields.push([a.name, decodeEntities(m[5].replace(/^\r?\n/, ''))]);
    }
  }
  return fields;
}

/** Replaces (or adds) a field's value. */
export function setField(fields: FormFields, name: string, value: string): FormFields {
  const out = fields.filter(([n]) => n !== name);
  out.push([name, value]);
  return out;
}

export class WpSession {
  private readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {
    // What wp-login.php sets on its first GET; a login POST is refused without it.
    this.cookies.set('wordpress_test_cookie', 'WP%20Cookie%20check');
  }

  cookie(namePrefix: string): { name: string; value: string } | undefined {
    for (const [name, value] of this.cookies) if (name.startsWith(namePrefix)) return { name, value };
    return undefined;
  }

  async get(pathAndQuery: string): Promise<WpResponse> {
    return this.send('GET', pathAndQuery);
  }

  async post(pathAndQuery: string, fields: FormFields): Promise<WpResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of fields) body.append(name, value);
    return this.send('POST', pathAndQuery, body.toString());
  }

  /** Logs in through wp-login.php; throws unless WordPress answers with the auth cookies. */
  async login(user: string, password: string): Promise<void> {
    const response = await this.post('/wp-login.php', [
      ['log', user],
      ['pwd', password],
      ['rememberme', 'forever'],
      ['wp-submit', 'Log In'],
      ['redirect_to', `${this.baseUrl}/wp-admin/`],
      ['testcookie', '1'],
    ]);
    if (response.status !== 302 || !this.cookie('wordpress_logged_in_')) {
      throw new Error(`login as ${user} failed: HTTP ${response.status} ${response.body.slice(0, 500)}`);
    }
  }

  private async send(method: string, pathAndQuery: string, body?: string): Promise<WpResponse> {
    const url = pathAndQuery.startsWith('http') ? pathAndQuery : `${this.baseUrl}${pathAndQuery}`;
    const headers: Record<string, string> = {
      Cookie: [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; '),
      'User-Agent': 'contact-bridge-e2e',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const started = performance.now();
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    const ms = performance.now() - started;
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (expired || value === 'deleted' || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, location: response.headers.get('location'), body: text, ms };
  }
}
