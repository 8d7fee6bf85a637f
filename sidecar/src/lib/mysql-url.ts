/**
 * MYSQL_URL: mysql://user:password@host:port/database, or a cluster's nodes in order of
 * preference, mysql://user:password@h1:3306,h2:3306,h3:3306/database (the pool talks to one and
 * moves to the next when it is gone: data-access/pool.ts). `new URL()` refuses a host list,
 * hence a parser of our own. Its errors never repeat the credentials.
 */
export interface MysqlNode {
  host: string;
  port: number;
}

export interface MysqlTarget {
  /** At least one; several only without socketPath. */
  nodes: MysqlNode[];
  user: string;
  password: string;
  database: string;
  socketPath?: string;
}

const SHAPE = /^mysql:\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new Error(`its ${what} has a malformed %-escape`);
  }
}

/** The URL's parts; throws an Error saying what is wrong (the caller names the variable). */
export function parseMysqlUrl(url: string): MysqlTarget {
  const shape = SHAPE.exec(url);
  if (!shape) throw new Error('it is not a valid URL (mysql://user:pass@host:3306/database)');
  const [, userinfo = '', hostList, path = '', query = ''] = shape;
  const colon = userinfo.indexOf(':');
  const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
  const password = decode(colon < 0 ? '' : userinfo.slice(colon + 1), 'password');
  const database = decode(path, 'database name');
  const socketPath = new URLSearchParams(query).get('socketPath') ?? undefined;

  const nodes: MysqlNode[] = [];
  const parts = hostList.split(',');
  for (const part of parts) {
    if (part === '' && parts.length === 1) {
      nodes.push({ host: '127.0.0.1', port: 3306 }); // mysql://user@/db?socketPath=…
      continue;
    }
    const host = HOST.exec(part);
    const port = host?.[2] === undefined ? 3306 : Number(host[2]);
    if (!host || port < 1 || port > 65535) {
      throw new Error(`its host list has "${part}": each host is name:port (port 1-65535), hosts separated by commas (h1:3306,h2:3306)`);
    }
    const name = host[1].replace(/^\[|\]$/g, '');
    if (nodes.some((n) => n.host === name && n.port === port)) throw new Error(`its host list names ${part} twice`);
    nodes.push({ host: name, port });
  }
  if (socketPath !== undefined && nodes.length > 1) throw new Error('a socketPath goes with one host, not a host list');
  return { nodes, user, password, database, socketPath };
}
