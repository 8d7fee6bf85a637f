import { expect } from 'chai';
import { createLogger } from '../../sidecar/src/lib/logger';

describe('logger', () => {
  it('when a database error is logged, then its SQL text and bound values are left out, also from its cause', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    const dbError = Object.assign(new Error('Lock wait timeout exceeded'), {
      errno: 1205,
      sql: "INSERT INTO civicrm_email (email) VALUES ('private@example.org')",
      values: ['private@example.org'],
    });

    logger.error({ err: new Error('gave up', { cause: dbError }), requestId: 'r1' }, 'request failed');
    logger.error({ err: dbError }, 'direct');

    expect(lines).to.have.length(2);
    for (const line of lines) {
      const parsed = JSON.parse(line);
      expect(parsed.level).to.equal('error');
      expect(line).to.not.contain('private@example.org');
    }
    expect(JSON.parse(lines[1]).err).to.include({ errno: 1205, message: 'Lock wait timeout exceeded' });
  });
});
