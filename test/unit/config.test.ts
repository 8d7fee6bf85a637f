import { expect } from 'chai';
import { loadConfig } from '../../sidecar/src/config';
import { parseMysqlUrl } from '../../sidecar/src/lib/mysql-url';

const valid = {
  MYSQL_URL: 'mysql://u:p@127.0.0.1:3306/wordpress',
  BRIDGE_SECRET: 'x'.repeat(32),
};

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('config', () => {
  it('when only the required variables are set, then every default applies', () => {
    const config = loadConfig(valid);
    expect(config).to.deep.include({
      wpTablePrefix: 'wp_',
      wpUsersTable: 'wp_users',
      wpUsermetaTable: 'wp_usermeta',
      port: 8787,
      host: '127.0.0.1',
      crmContactType: 'Individual',
      crmDomainId: 1,
      syncNames: true,
      syncCron: '*/15 * * * *',
    });
  });

  it('when BRIDGE_SECRET is missing, then the error names BRIDGE_SECRET', () => {
    expect(errorOf({ MYSQL_URL: valid.MYSQL_URL })).to.match(/BRIDGE_SECRET is required/);
  });

  it('when BRIDGE_SECRET is shorter than 32 characters, then the error names it', () => {
    expect(errorOf({ ...valid, BRIDGE_SECRET: 'short' })).to.match(/BRIDGE_SECRET must NOT have fewer than 32 characters/);
  });

  it('when MYSQL_URL is missing, not mysql:// or names no database, then the error names MYSQL_URL', () => {
    expect(errorOf({ BRIDGE_SECRET: valid.BRIDGE_SECRET })).to.match(/MYSQL_URL is required/);
    expect(errorOf({ ...valid, MYSQL_URL: 'postgres://x/y' })).to.match(/MYSQL_URL/);
    expect(errorOf({ ...valid, MYSQL_URL: 'mysql://u:p@127.0.0.1:3306/' })).to.match(/MYSQL_URL must name a database/);
  });

  it('when MYSQL_URL lists several hosts, then they are accepted in order; a malformed list is an error naming MYSQL_URL and never the password', () => {
    expect(loadConfig({ ...valid, MYSQL_URL: 'mysql://u:p@db1:3306,db2:3307,[::1]:3308/wordpress' }).mysqlUrl).to.equal('mysql://u:p@db1:3306,db2:3307,[::1]:3308/wordpress');
    expect(parseMysqlUrl('mysql://u:p%40ss@db1:3306,db2/wp').nodes).to.deep.equal([
      { host: 'db1', port: 3306 },
      { host: 'db2', port: 3306 },
    ]);
    for (const [url, problem] of [
      ['mysql://u:secret@db1:3306,,db3:3306/wp', /host list has "": each host is name:port/],
      ['mysql://u:secret@db1:3306,db2:99999/wp', /host list has "db2:99999"/],
      ['mysql://u:secret@db1:3306,db2:x/wp', /host list has "db2:x"/],
      ['mysql://u:secret@db1:3306,db1:3306/wp', /names db1:3306 twice/],
      ['mysql://u:secret@db1,db2/wp?socketPath=/run/mysqld.sock', /socketPath goes with one host/],
    ] as const) {
      const message = errorOf({ ...valid, MYSQL_URL: url });
      expect(message, url).to.match(/MYSQL_URL is not valid/).and.match(problem);
      expect(message, url).to.not.include('secret');
    }
  });

  it('when WP_TABLE_PREFIX holds anything but letters, digits and _, then it is refused', () => {
    for (const prefix of ['wp_; DROP TABLE x; --', 'wp`', 'wp-', 'wp.users']) {
      expect(errorOf({ ...valid, WP_TABLE_PREFIX: prefix }), prefix).to.match(/WP_TABLE_PREFIX/);
    }
  });

  it('when PORT, CRM_DOMAIN_ID, SYNC_NAMES or CRM_CONTACT_TYPE are not of their type, then each is named', () => {
    expect(errorOf({ ...valid, PORT: '80a' })).to.match(/PORT/);
    expect(errorOf({ ...valid, PORT: '70000' })).to.match(/PORT/);
    expect(errorOf({ ...valid, CRM_DOMAIN_ID: '0' })).to.match(/CRM_DOMAIN_ID/);
    expect(errorOf({ ...valid, SYNC_NAMES: 'maybe' })).to.match(/SYNC_NAMES/);
    expect(errorOf({ ...valid, CRM_CONTACT_TYPE: 'Person' })).to.match(/CRM_CONTACT_TYPE/);
  });

  it('when SYNC_CRON is empty, then the schedule is disabled; when invalid, then it is named', () => {
    expect(loadConfig({ ...valid, SYNC_CRON: '' }).syncCron).to.equal('');
    expect(errorOf({ ...valid, SYNC_CRON: 'every tuesday' })).to.match(/SYNC_CRON/);
  });

  it('when custom user tables are given, then they replace the prefixed names', () => {
    const config = loadConfig({ ...valid, WP_USERS_TABLE: 'shared.site_users', WP_USERMETA_TABLE: 'site_usermeta' });
    expect(config.wpUsersTable).to.equal('shared.site_users');
    expect(config.wpUsermetaTable).to.equal('site_usermeta');
    expect(errorOf({ ...valid, WP_USERS_TABLE: 'users` WHERE 1' })).to.match(/WP_USERS_TABLE/);
  });
});
