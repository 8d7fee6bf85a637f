/**
 * One bulk run per domain: a lease row (owner, expiry), renewed while the run works. A lease
 * whose owner was a process of this host that no longer exists is taken over at once; any other
 * expires after its ttl. Correct on a multi-primary cluster, where named locks are per server.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Database } from '../../lib/transaction';
import type { Logger } from '../../lib/logger';
import type { LeaseStore } from '../ports';

export const DEFAULT_LEASE_SECONDS = 60;

export function syncLeaseName(domainId: number): string {
  return `sync:domain:${domainId}`;
}

/** host#pid#uuid: lets a process of the same host see that a lease's owner has died. */
export function newOwner(): string {
  return `${os.hostname()}#${process.pid}#${randomUUID()}`;
}

export function ownerIsDeadHere(owner: string): boolean {
  const [host, pid] = owner.split('#');
  if (host !== os.hostname() || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Whether anyone alive holds the lease: an unexpired holder that is not a dead process of this host. */
export async function leaseIsHeld(db: Database, leases: LeaseStore, name: string): Promise<{ owner: string } | null> {
  const holder = await leases.holder(db, name);
  return holder !== null && !ownerIsDeadHere(holder.owner) ? holder : null;
}

export class RunLease {
  private timer: NodeJS.Timeout | undefined;
  private lostFlag = false;

  private constructor(
    private readonly db: Database,
    private readonly leases: LeaseStore,
    readonly name: string,
    readonly owner: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Takes the lease (or a dead owner's); null when someone alive holds it. */
  static async take(db: Database, leases: LeaseStore, name: string, ttlSeconds: number): Promise<RunLease | null> {
    const owner = newOwner();
    if (!(await leases.acquire(db, name, owner, ttlSeconds))) {
      const holder = await leases.holder(db, name);
      const tookOver = holder !== null && ownerIsDeadHere(holder.owner) && (await leases.takeOver(db, name, holder.owner, owner, ttlSeconds));
      if (!tookOver) return null;
    }
    return new RunLease(db, leases, name, owner, ttlSeconds);
  }

  /** Renews every third of the ttl; a renewal that finds another owner marks the lease lost. A database away only delays renewal. */
  keepRenewed(log: Logger): void {
    this.timer = setInterval(() => {
      this.leases.acquire(this.db, this.name, this.owner, this.ttlSeconds).then(
        (held) => {
          if (!held) this.lostFlag = true;
        },
        (error: unknown) => log.warn({ err: error }, 'could not renew the sync lease'),
      );
    }, (this.ttlSeconds * 1000) / 3);
    this.timer.unref();
  }

  get lost(): boolean {
    return this.lostFlag;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.leases.release(this.db, this.name, this.owner).catch(() => undefined);
  }
}
