-- contact-bridge's own tables, all named contact_bridge_*.
-- (contact_bridge_migrations and contact_bridge_lease are created by the migration runner
-- itself before this file runs, since it needs them to run migrations at all.)

-- One row per (domain, WordPress user): the outcome of its last reconciliation.
-- Every reconcile transaction takes this row first, so events for one user are applied
-- one after the other even on a database whose civicrm_uf_match lacks UNIQUE (uf_id, domain_id).
CREATE TABLE IF NOT EXISTS contact_bridge_user_state (
  domain_id INT UNSIGNED NOT NULL,
  uf_id BIGINT UNSIGNED NOT NULL,
  last_action VARCHAR(16) NULL,
  contact_id INT UNSIGNED NULL,
  reason VARCHAR(255) NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (domain_id, uf_id),
  INDEX idx_action (domain_id, last_action)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every outcome: who, what, why, when, and what caused it.
CREATE TABLE IF NOT EXISTS contact_bridge_audit (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  domain_id INT UNSIGNED NOT NULL,
  uf_id BIGINT UNSIGNED NOT NULL,
  action VARCHAR(16) NOT NULL,
  contact_id INT UNSIGNED NULL,
  reason VARCHAR(255) NULL,
  source VARCHAR(32) NOT NULL,
  sync_run_id BIGINT UNSIGNED NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  INDEX idx_user (domain_id, uf_id, id),
  INDEX idx_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
