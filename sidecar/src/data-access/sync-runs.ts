import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { SyncRunStore } from '../domain/ports';
import { SYNC_COUNTERS, type SyncCounts, type SyncRun, type SyncStatus } from '../domain/sync/sync-run';
import type { Query, Runner } from '../lib/transaction';

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

async function select(db: Runner, sql: string, values: unknown[]): Promise<SyncRun[]> {
  const [rows] = await db.run([{ sql: `SELECT ${COLUMNS} FROM contact_bridge_sync_run ${sql}`, values }]);
  return (rows as RowDataPacket[]).map(toRun);
}

/** contact_bridge_sync_run: one row per bulk run, its cursor and counters. */
export class SyncRunsRepository implements SyncRunStore {
  async create(db: Runner, run: { domainId: number; dryRun: boolean; trigger: string; owner: string; total: number }): Promise<number> {
    const [result] = await db.run([
      {
        sql: `INSERT INTO contact_bridge_sync_run (domain_id, status, dry_run, trigger_source, owner, total, heartbeat_at)
              VALUES (?, 'running', ?, ?, ?, ?, NOW(3))`,
        values: [run.domainId, run.dryRun ? 1 : 0, run.trigger.slice(0, 16), run.owner, run.total],
      },
    ]);
    return (result as ResultSetHeader).insertId;
  }

  async findById(db: Runner, domainId: number, id: number): Promise<SyncRun | null> {
    return (await select(db, `WHERE id = ? AND domain_id = ?`, [id, domainId]))[0] ?? null;
  }

  listRecent(db: Runner, domainId: number, limit: number): Promise<SyncRun[]> {
    return select(db, `WHERE domain_id = ? ORDER BY id DESC LIMIT ?`, [domainId, limit]);
  }

  async findRunning(db: Runner, domainId: number): Promise<SyncRun | null> {
    return (await select(db, `WHERE domain_id = ? AND status = 'running' ORDER BY id DESC LIMIT 1`, [domainId]))[0] ?? null;
  }

  async takeOver(db: Runner, id: number, owner: string): Promise<void> {
    await db.run([{ sql: `UPDATE contact_bridge_sync_run SET owner = ?, heartbeat_at = NOW(3) WHERE id = ?`, values: [owner, id] }]);
  }

  advance(id: number, owner: string, fromCursor: number, toCursor: number, delta: SyncCounts, options: { complete: boolean; changes?: unknown[] }): Query<boolean> {
    return {
      statement: {
        sql: `UPDATE contact_bridge_sync_run
                 SET cursor_uf_id = ?, processed = processed + ?,
                     ${SYNC_COUNTERS.map((c) => `${c} = ${c} + ?`).join(', ')},
                     changes = IF(?, ?, changes),
                     status = IF(?, 'completed', status),
                     finished_at = IF(?, NOW(3), finished_at),
                     heartbeat_at = NOW(3)
               WHERE id = ? AND owner = ? AND cursor_uf_id = ? AND status = 'running'`,
        values: [
          toCursor,
          delta.checked,
          ...SYNC_COUNTERS.map((c) => delta[c]),
          options.changes ? 1 : 0,
          options.changes ? JSON.stringify(options.changes) : null,
          options.complete ? 1 : 0,
          options.complete ? 1 : 0,
          id,
          owner,
          fromCursor,
        ],
      },
      parse: (result) => (result as ResultSetHeader).affectedRows === 1,
    };
  }

  async fail(db: Runner, id: number, error: string): Promise<void> {
    await db.run([
      { sql: `UPDATE contact_bridge_sync_run SET status = 'failed', error = ?, finished_at = NOW(3) WHERE id = ? AND status = 'running'`, values: [error.slice(0, ERROR_MAX), id] },
    ]);
  }
}
