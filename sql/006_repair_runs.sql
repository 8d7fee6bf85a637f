-- Link repairs ("Link health"): one row per repair or dry run, its counts per finding kind and,
-- for a dry run, the changes it would make (JSON). Portable between MariaDB 10.11 and MySQL 8.0
-- (JSON kept in TEXT columns: MariaDB's JSON type is an alias of LONGTEXT anyway).
CREATE TABLE IF NOT EXISTS contact_bridge_repair_run (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  domain_id INT UNSIGNED NOT NULL,
  status VARCHAR(16) NOT NULL,
  dry_run TINYINT(1) NOT NULL DEFAULT 0,
  kinds TEXT NOT NULL,
  owner VARCHAR(128) NULL,
  total INT UNSIGNED NOT NULL DEFAULT 0,
  processed INT UNSIGNED NOT NULL DEFAULT 0,
  counts TEXT NULL,
  changes MEDIUMTEXT NULL,
  error TEXT NULL,
  started_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  finished_at TIMESTAMP(3) NULL DEFAULT NULL,
  PRIMARY KEY (id),
  INDEX idx_domain_status (domain_id, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
