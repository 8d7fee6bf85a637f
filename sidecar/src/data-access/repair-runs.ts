import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { isFindingKind, type FindingKind } from '../domain/health/findings';
import { emptyRepairCounts, type RepairChange, type RepairCounts, type RepairRun, type RepairStatus } from '../domain/health/repair-run';
import type { RepairRunStore } from '../domain/ports';
import type { Runner } from '../lib/transaction';

const COLUMNS = 'id, domain_id, status, dry_run, kinds, owner, total, processed, counts, changes, error, started_at, finished_at';
const ERROR_MAX = 4000;

function json<T>(text: unknown, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(String(text)) as T;
  } catch {
    return fallback;
  }
}

function toRun(r: RowDataPacket): RepairRun {
  return {
    id: Number(r.id),
    domainId: Number(r.domain_id),
    status: String(r.status) as RepairStatus,
    dryRun: Number(r.dry_run) === 1,
    kinds: json<string[]>(r.kinds, []).filter(isFindingKind) as FindingKind[],
    owner: r.owner === null ? null : String(r.owner),
    total: Number(r.total),
    processed: Number(r.processed),
    counts: { ...emptyRepairCounts(), ...json<Partial<RepairCounts>>(r.counts, {}) },
    changes: json<RepairChange[]>(r.changes, []),
    error: r.error === null ? null : String(r.error),
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
  };
}

async function select(db: Runner, where: string, values: unknown[]): Promise<RepairRun | null> {
  const [rows] = await db.run([{ sql: `SELECT ${COLUMNS} FROM contact_bridge_repair_run ${where}`, values }]);
  const [row] = rows as RowDataPacket[];
  return row ? toRun(row) : null;
}

/** contact_bridge_repair_run. */
export class RepairRunsRepository implements RepairRunStore {
  async create(db: Runner, run: { domainId: number; dryRun: boolean; kinds: readonly FindingKind[]; owner: string; total: number }): Promise<number> {
    const [result] = await db.run([
      {
        sql: `INSERT INTO contact_bridge_repair_run (domain_id, status, dry_run, kinds, owner, total, counts) VALUES (?, 'running', ?, ?, ?, ?, ?)`,
        values: [run.domainId, run.dryRun ? 1 : 0, JSON.stringify(run.kinds), run.owner, run.total, JSON.stringify(emptyRepairCounts())],
      },
    ]);
    return (result as ResultSetHeader).insertId;
  }

  findById(db: Runner, domainId: number, id: number): Promise<RepairRun | null> {
    return select(db, 'WHERE id = ? AND domain_id = ?', [id, domainId]);
  }

  findRunning(db: Runner, domainId: number): Promise<RepairRun | null> {
    return select(db, "WHERE domain_id = ? AND status = 'running' ORDER BY id DESC LIMIT 1", [domainId]);
  }

  async progress(db: Runner, id: number, processed: number, counts: RepairCounts): Promise<void> {
    await db.run([{ sql: 'UPDATE contact_bridge_repair_run SET processed = ?, counts = ? WHERE id = ?', values: [processed, JSON.stringify(counts), id] }]);
  }

  async finish(db: Runner, id: number, result: { status: 'completed' | 'failed'; counts: RepairCounts; changes: RepairChange[]; error: string | null }): Promise<void> {
    await db.run([
      {
        sql: `UPDATE contact_bridge_repair_run SET status = ?, counts = ?, changes = ?, error = ?, finished_at = NOW(3) WHERE id = ?`,
        values: [result.status, JSON.stringify(result.counts), JSON.stringify(result.changes), result.error === null ? null : result.error.slice(0, ERROR_MAX), id],
      },
    ]);
  }
}
