/**
 * WordPress's own definitions of its users tables (wp-admin/includes/schema.php, WordPress
 * 6.x), with the charset/collation a site may have. Used to build test and demo databases.
 */
export function wordpressUsersDdl(prefix: string, collation = 'utf8mb4_unicode_520_ci'): string[] {
  if (!/^[A-Za-z0-9_]+$/.test(prefix)) throw new Error(`bad prefix ${prefix}`);
  const charset = collation.split('_')[0];
  return [
    `CREATE TABLE IF NOT EXISTS \`${prefix}users\` (
      ID bigint(20) unsigned NOT NULL auto_increment,
      user_login varchar(60) NOT NULL default '',
      user_pass varchar(255) NOT NULL default '',
      user_nicename varchar(50) NOT NULL default '',
      user_email varchar(100) NOT NULL default '',
      user_url varchar(100) NOT NULL default '',
      user_registered datetime NOT NULL default '0000-00-00 00:00:00',
      user_activation_key varchar(255) NOT NULL default '',
      user_status int(11) NOT NULL default '0',
      display_name varchar(250) NOT NULL default '',
      PRIMARY KEY  (ID),
      KEY user_login_key (user_login),
      KEY user_nicename (user_nicename),
      KEY user_email (user_email)
    ) DEFAULT CHARACTER SET ${charset} COLLATE ${collation}`,
    `CREATE TABLE IF NOT EXISTS \`${prefix}usermeta\` (
      umeta_id bigint(20) unsigned NOT NULL auto_increment,
      user_id bigint(20) unsigned NOT NULL default '0',
      meta_key varchar(255) default NULL,
      meta_value longtext,
      PRIMARY KEY  (umeta_id),
      KEY user_id (user_id),
      KEY meta_key (meta_key(191))
    ) DEFAULT CHARACTER SET ${charset} COLLATE ${collation}`,
  ];
}
