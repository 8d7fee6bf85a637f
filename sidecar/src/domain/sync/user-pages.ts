/**
 * The bulk sync's pages of users, read one page ahead outside any transaction (the chunk that
 * takes a page locks its users and reads again those a hook reconciled since; see
 * EngineStore.readRange). Holds at most one page beyond the pages asked for.
 */
import type { Runner } from '../../lib/transaction';
import type { EngineStore, UsersPage } from '../ports';

export class UsersPages {
  private ahead: { after: number; page: Promise<UsersPage> } | null = null;

  constructor(
    private readonly store: EngineStore,
    private readonly db: Runner,
    private readonly domainId: number,
    private readonly size: number,
  ) {}

  read(db: Runner, after: number): Promise<UsersPage> {
    return this.store.readPage(db, this.domainId, after, this.size);
  }

  /** The page after `after`; starts reading the one after it. */
  get(after: number): Promise<UsersPage> {
    const page = this.ahead?.after === after ? this.ahead.page : this.read(this.db, after);
    this.ahead = null;
    page.then(
      (p) => {
        if (p.upper !== null && this.ahead === null) {
          const next = this.read(this.db, p.upper);
          next.catch(() => undefined); // handled where it is awaited
          this.ahead = { after: p.upper, page: next };
        }
      },
      () => undefined,
    );
    return page;
  }

  async close(): Promise<void> {
    await this.ahead?.page.catch(() => undefined);
    this.ahead = null;
  }
}
