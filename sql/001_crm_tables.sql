-- CRM tables, CiviCRM 5.x compatible (the columns contact-bridge uses; a real CiviCRM
-- database has many more, all nullable or defaulted, and is left exactly as it is:
-- every statement here only creates what is missing).
-- Portable between MariaDB 10.11 and MySQL 8.0.

CREATE TABLE IF NOT EXISTS civicrm_domain (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) NULL,
  description VARCHAR(255) NULL,
  version VARCHAR(32) NULL,
  contact_id INT UNSIGNED NULL,
  locales TEXT NULL,
  locale_custom_strings TEXT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY UI_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;

CREATE TABLE IF NOT EXISTS civicrm_contact (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  contact_type VARCHAR(64) NULL,
  contact_sub_type VARCHAR(255) NULL,
  do_not_email TINYINT(1) NOT NULL DEFAULT 0,
  do_not_phone TINYINT(1) NOT NULL DEFAULT 0,
  do_not_mail TINYINT(1) NOT NULL DEFAULT 0,
  do_not_sms TINYINT(1) NOT NULL DEFAULT 0,
  do_not_trade TINYINT(1) NOT NULL DEFAULT 0,
  is_opt_out TINYINT(1) NOT NULL DEFAULT 0,
  sort_name VARCHAR(128) NULL,
  display_name VARCHAR(128) NULL,
  hash VARCHAR(32) NULL,
  source VARCHAR(255) NULL,
  first_name VARCHAR(64) NULL,
  middle_name VARCHAR(64) NULL,
  last_name VARCHAR(64) NULL,
  organization_name VARCHAR(128) NULL,
  household_name VARCHAR(128) NULL,
  is_deleted TINYINT(1) NOT NULL DEFAULT 0,
  created_date TIMESTAMP NULL DEFAULT NULL,
  modified_date TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX index_contact_type (contact_type),
  INDEX index_sort_name (sort_name),
  INDEX index_first_name (first_name),
  INDEX index_last_name (last_name),
  INDEX index_hash (hash),
  INDEX index_is_deleted_sort_name (is_deleted, sort_name, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;

CREATE TABLE IF NOT EXISTS civicrm_email (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  contact_id INT UNSIGNED NULL,
  location_type_id INT UNSIGNED NULL,
  email VARCHAR(254) NULL,
  is_primary TINYINT(1) NOT NULL DEFAULT 0,
  is_billing TINYINT(1) NOT NULL DEFAULT 0,
  on_hold INT UNSIGNED NOT NULL DEFAULT 0,
  is_bulkmail TINYINT(1) NOT NULL DEFAULT 0,
  hold_date DATETIME NULL,
  reset_date DATETIME NULL,
  PRIMARY KEY (id),
  INDEX UI_email (email),
  INDEX index_location_type (location_type_id),
  INDEX index_is_primary (is_primary),
  CONSTRAINT FK_civicrm_email_contact_id FOREIGN KEY (contact_id)
    REFERENCES civicrm_contact (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;

-- UNIQUE (uf_id, domain_id) is stricter than many real CiviCRM databases; on a database
-- whose table already exists it is added later, only when no duplicates exist
-- (see sidecar/src/data-access/schema-checks.ts).
CREATE TABLE IF NOT EXISTS civicrm_uf_match (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  domain_id INT UNSIGNED NOT NULL,
  uf_id INT UNSIGNED NOT NULL,
  uf_name VARCHAR(128) NULL,
  contact_id INT UNSIGNED NULL,
  language VARCHAR(5) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY UI_uf_name_domain_id (uf_name, domain_id),
  UNIQUE KEY UI_contact_domain_id (contact_id, domain_id),
  UNIQUE KEY UI_uf_match_uf_id_domain_id (uf_id, domain_id),
  CONSTRAINT FK_civicrm_uf_match_domain_id FOREIGN KEY (domain_id) REFERENCES civicrm_domain (id),
  CONSTRAINT FK_civicrm_uf_match_contact_id FOREIGN KEY (contact_id)
    REFERENCES civicrm_contact (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;

-- Domain 1 is the single WordPress site. A database that has it already keeps its own.
INSERT IGNORE INTO civicrm_domain (id, name, description, version)
VALUES (1, 'Default Domain Name', 'Created by contact-bridge', '5.0.0');
