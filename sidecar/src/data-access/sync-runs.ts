import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db } from './pool';

export const SYNC_COUNTERS = [
  'checked',
  'already_linked',
  'matched',
  'created',
  'updated',
  'unlinked',
  'skipped',
  'conflicts',
  'errors',
] as const;
export type SyncCounter = (typeof SYNC_COUNTERS)[number];
export type SyncCounts = Record<SyncCounter, number>;

export type SyncStatus = 'running' | 'completed' | 'failed';

export interface SyncRun {
  id: number;
  domainId: number;
  status: SyncStatus;
  dryRun: boolean;
  trigger: string;
  owner: string | null;
  cursor: number;
  total: number;
  processed: number;
  counts: SyncCounts;
  /** Dry run: what would change (a bounded list). */
  changes: unknown[] | null;
  error: string | null;
  startedAt: Date;
  heartbeatAt: Date | null;
  finishedAt: Date | null;
}

export function zeroCounts(): SyncCounts {
  return Object.fromEntries(SYNC_COUNTERS.map((c) => [c, 0])) as SyncCounts;
}

const COLUMNS = `id, domain_id, status, dry_run, trigger_source, owner, cursor_uf_id, total, processed,
  ${SYNC_COUNTERS.join(', ')}, changes, error, started_at, heartbeat_at, finished_at`;

function toRun(r: RowDataPacket): SyncRun {
  let changes: unknown[] | null = null;
  if (r.changes !== null && r.changes !== undefined) {
    try {
      changes = JSON.parse(String(r.changes)) as unknown[];
    } catch {
      changes = null;
    }
  }
  return {
    id: Number(r.id),
    domainId: Number(r.domain_id),
    status: String(r.status) as SyncStatus,
    dryRun: Number(r.dry_run) === 1,
    trigger: String(r.trigger_source),
    owner: r.owner === null ? null : String(r.owner),
    cursor: Number(r.cursor_uf_id),
    total: Number(r.total),
    processed: Number(r.processed),
    counts: Object.fromEntries(SYNC_COUNTERS.map((c) => [c, Number(r[c])])) as SyncCounts,
    changes,
    error: r.error === null ? null : String(r.error),
    startedAt: new Date(r.started_at),
    heartbeatAt: r.heartbeat_at === null ? null : new Date(r.heartbeat_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
  };
}

const ERROR_MAX = 4000;

/** contact_bridge_sync_run: one row per bulk run, its cursor and counters. */
export class SyncRunsRepository {
  async create(
    db: Db,
    run: { domainId: number; dryRun: boolean; trigger: string; owner: string; total: number },
  ): Promise<number> {
    const [result] = await db.query<ResultSetHeader>(
      `INSERT INTO contact_bridge_sync_run (domain_id, status, dry_run, trigger_source, owner, total, heartbeat_at)
       VALUES (?, 'running', ?, ?, ?, ?, NOW(3))`,
      [run.domainId, run.dryRun ? 1 : 0, run.trigger.slice(0, 16), run.owner, run.total],
    );
    return result.insertId;
  }

  async findById(db: Db, domainId: number, id: number): Promise<SyncRun | null> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM contact_bridge_sync_run WHERE id = ? AND domain_id = ?`,
      [id, domainId],
    );
    return rows.length ? toRun(rows[0]) : null;
  }

  async listRecent(db: Db, domainId: number, limit: number): Promise<SyncRun[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM contact_bridge_sync_run WHERE domain_id = ? ORDER BY id DESC LIMIT ?`,
      [domainId, limit],
    );
    return rows.map(toRun);
  }

  /** The domain's run still marked running (normally at most one), newest first. */
  async findRunning(db: Db, domainId: number): Promise<SyncRun | null> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM contact_bridge_sync_run WHERE domain_id = ? AND status = 'running' ORDER BY id DESC LIMIT 1`,
      [domainId],
    );
    return rows.length ? toRun(rows[0]) : null;
  }

  /** Makes `owner` the run's owner (after it took the domain's lease from a dead process). */
  async takeOver(db: Db, id: number, owner: string): Promise<void> {
    await db.query(`UPDATE contact_bridge_sync_run SET owner = ?, heartbeat_at = NOW(3) WHERE id = ?`, [owner, id]);
  }

  /**
   * Moves the cursor and adds a chunk's counts, fenced on owner and previous cursor: false when
   * another process took the run over (the caller's transaction must then roll back).
   */
  async advance(
    db: Db,
    id: number,
    owner: string,
    fromCursor: number,
    toCursor: number,
    delta: SyncCounts,
    processed: number,
    options: { complete?: boolean; changes?: unknown[] } = {},
  ): Promise<boolean> {
    const [result] = await db.query<ResultSetHeader>(
      `UPDATE contact_bridge_sync_run
          SET cursor_uf_id = ?, processed = processed + ?,
              ${SYNC_COUNTERS.map((c) => `${c} = ${c} + ?`).join(', ')},
              changes = IF(?, ?, changes),
              status = IF(?, 'completed', status),
              finished_at = IF(?, NOW(3), finished_at),
              heartbeat_at = NOW(3)
        WHERE id = ? AND owner = ? AND cursor_uf_id = ? AND status = 'running'`,
      [
        toCursor,
        processed,
        ...SYNC_COUNTERS.map((c) => delta[c]),
        options.changes ? 1 : 0,
        options.changes ? JSON.stringify(options.changes) : null,
        options.complete ? 1 : 0,
        options.complete ? 1 : 0,
        id,
        owner,
        fromCursor,
      ],
    );
    return result.affectedRows === 1;
  }

  async fail(db: Db, id: number, error: string): Promise<void> {
    await db.query(
      `UPDATE contact_bridge_sync_run SET status = 'failed', error = ?, finished_at = NOW(3) WHERE id = ? AND status = 'running'`,
      [error.slice(0, ERROR_MAX), id],
    );
  }

  async setTotal(db: Db, id: number, total: number): Promise<void> {
    await db.query(`UPDATE contact_bridge_sync_run SET total = ? WHERE id = ?`, [total, id]);
  }
}
