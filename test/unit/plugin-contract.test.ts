/**
 * The plugin keeps its own lists of the finding kinds and link states (each gets a translatable
 * label in PHP): they must be the sidecar's, in the sidecar's order.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { LINK_STATES } from '../../sidecar/src/domain/health/check-link-health';
import { FINDING_KINDS } from '../../sidecar/src/domain/health/findings';

const healthPhp = path.resolve(__dirname, '../../../wp-plugin-shim/includes/class-contact-bridge-health.php');

/** The strings of `const NAME = array( … );` in the plugin's class. */
function phpConstantList(source: string, name: string): string[] {
  const match = new RegExp(`const ${name} = array\\(([^)]*)\\);`).exec(source);
  if (!match) throw new Error(`const ${name} not found in ${healthPhp}`);
  return [...match[1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

describe('the plugin and the sidecar name findings and states alike', () => {
  const source = readFileSync(healthPhp, 'utf8');

  it('when the plugin lists the finding kinds, then they are the sidecar\'s, in its order', () => {
    expect(phpConstantList(source, 'KINDS')).to.deep.equal([...FINDING_KINDS]);
  });

  it('when the plugin lists the link states, then they are the sidecar\'s', () => {
    expect(phpConstantList(source, 'STATES')).to.deep.equal([...LINK_STATES]);
  });
});
