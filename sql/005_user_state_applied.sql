-- What changed wins: each user's state row records the WordPress values last applied to its
-- contact (normalised email, first and last name; NULL = nothing recorded yet, as for links
-- made before this migration), and a version that every transaction taking or writing the
-- row increases (the bulk sync compares it to see which users a hook reconciled meanwhile).
-- One ALTER: InnoDB applies it whole or not at all. Portable between MariaDB 10.11 and MySQL 8.0.
ALTER TABLE contact_bridge_user_state
  ADD COLUMN version BIGINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN applied_email VARCHAR(254) NULL,
  ADD COLUMN applied_first_name VARCHAR(64) NULL,
  ADD COLUMN applied_last_name VARCHAR(64) NULL;
