-- Bulk sync runs ("Synchronize Users to Contacts"): one row per run, holding its cursor and
-- counters. Each chunk commits together with its update of this row, so a run that stops
-- mid-way resumes after its last committed chunk. Portable between MariaDB 10.11 and MySQL 8.0.
CREATE TABLE IF NOT EXISTS contact_bridge_sync_run (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  domain_id INT UNSIGNED NOT NULL,
  status VARCHAR(16) NOT NULL,
  dry_run TINYINT(1) NOT NULL DEFAULT 0,
  trigger_source VARCHAR(16) NOT NULL,
  owner VARCHAR(128) NULL,
  cursor_uf_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  total INT UNSIGNED NOT NULL DEFAULT 0,
  processed INT UNSIGNED NOT NULL DEFAULT 0,
  checked INT UNSIGNED NOT NULL DEFAULT 0,
  already_linked INT UNSIGNED NOT NULL DEFAULT 0,
  matched INT UNSIGNED NOT NULL DEFAULT 0,
  created INT UNSIGNED NOT NULL DEFAULT 0,
  updated INT UNSIGNED NOT NULL DEFAULT 0,
  unlinked INT UNSIGNED NOT NULL DEFAULT 0,
  skipped INT UNSIGNED NOT NULL DEFAULT 0,
  conflicts INT UNSIGNED NOT NULL DEFAULT 0,
  errors INT UNSIGNED NOT NULL DEFAULT 0,
  changes MEDIUMTEXT NULL,
  error TEXT NULL,
  started_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  heartbeat_at TIMESTAMP(3) NULL DEFAULT NULL,
  finished_at TIMESTAMP(3) NULL DEFAULT NULL,
  PRIMARY KEY (id),
  INDEX idx_domain_status (domain_id, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
