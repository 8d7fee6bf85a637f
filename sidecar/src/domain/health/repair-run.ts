/** A repair run as recorded (contact_bridge_repair_run) and as its status is read. */
import { FINDING_KINDS, type FindingKind } from './findings';

export interface KindCounts {
  found: number;
  repaired: number;
  left: number;
}
export type RepairCounts = Record<FindingKind, KindCounts>;

export function emptyRepairCounts(): RepairCounts {
  return Object.fromEntries(FINDING_KINDS.map((k) => [k, { found: 0, repaired: 0, left: 0 }])) as RepairCounts;
}

/** What a dry run would do (or a real run did not do), one line per finding. */
export interface RepairChange {
  kind: FindingKind;
  userId: number | null;
  contactIds: number[];
  change: string;
}

export type RepairStatus = 'running' | 'completed' | 'failed';

export interface RepairRun {
  id: number;
  domainId: number;
  status: RepairStatus;
  dryRun: boolean;
  kinds: FindingKind[];
  owner: string | null;
  processed: number;
  total: number;
  counts: RepairCounts;
  changes: RepairChange[];
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** At most this many changes are kept for a dry run's answer; the counts cover every finding. */
export const MAX_RECORDED_CHANGES = 1000;
