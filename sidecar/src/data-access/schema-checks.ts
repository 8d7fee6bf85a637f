import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from './pool';

export interface DuplicateUserLinks {
  domainId: number;
  ufId: number;
  links: number;
}

export interface UfIdUniqueness {
  unique: boolean;
  /** Set when the index could not be made unique because of these duplicates. */
  duplicates: DuplicateUserLinks[];
}

const INDEX_NAME = 'UI_uf_match_uf_id_domain_id';

async function hasUniqueUfIdIndex(db: Db): Promise<boolean> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT INDEX_NAME AS index_name, GROUP_CONCAT(COLUMN_NAME ORDER BY COLUMN_NAME) AS cols
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'civicrm_uf_match' AND NON_UNIQUE = 0
      GROUP BY INDEX_NAME`,
  );
  return rows.some((r) => String(r.cols) === 'domain_id,uf_id');
}

/**
 * Real CiviCRM databases often have a non-unique (uf_id, domain_id) index. Make it unique
 * when no duplicates exist; otherwise leave the table alone and report the duplicates.
 * (The bridge stays correct either way: its per-user state row serialises events.)
 */
export async function ensureUfIdUnique(db: Db): Promise<UfIdUniqueness> {
  if (await hasUniqueUfIdIndex(db)) return { unique: true, duplicates: [] };
  const [dups] = await db.query<RowDataPacket[]>(
    `SELECT domain_id, uf_id, COUNT(*) AS n FROM civicrm_uf_match
      GROUP BY domain_id, uf_id HAVING COUNT(*) > 1 ORDER BY domain_id, uf_id LIMIT 100`,
  );
  if (dups.length > 0) {
    return {
      unique: false,
      duplicates: dups.map((r) => ({ domainId: Number(r.domain_id), ufId: Number(r.uf_id), links: Number(r.n) })),
    };
  }
  try {
    await db.query(`ALTER TABLE civicrm_uf_match ADD UNIQUE INDEX ${INDEX_NAME} (uf_id, domain_id)`);
  } catch (error) {
    // Another process added it in the meantime (1061 duplicate key name) or a duplicate
    // appeared (1062): look again rather than guess.
    if (await hasUniqueUfIdIndex(db)) return { unique: true, duplicates: [] };
    throw error;
  }
  return { unique: true, duplicates: [] };
}

/** True when the domain row exists. */
export async function domainExists(db: Db, domainId: number): Promise<boolean> {
  const [rows] = await db.query<RowDataPacket[]>(`SELECT id FROM civicrm_domain WHERE id = ?`, [domainId]);
  return rows.length === 1;
}
