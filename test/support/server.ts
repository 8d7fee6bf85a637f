import type { PrivateMariaDb } from '../../tools/private-mariadb';

export interface TestServer {
  /** mysql://user:pass@host:port/ — no database. */
  baseUrl: string;
  /** The private instance when the harness started one (fault tests restart it). */
  privateInstance: PrivateMariaDb | null;
}

let current: TestServer | undefined;

export function setServer(server: TestServer): void {
  current = server;
}

export function testServer(): TestServer {
  if (!current) throw new Error('The database server is not started: run tests through mocha with .mocharc.cjs');
  return current;
}
