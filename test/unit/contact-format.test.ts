import { expect } from 'chai';
import { renderTemplate, type NamedContact } from '../../sidecar/src/domain/engine/contact-format';
import { bareConventions } from '../../sidecar/src/domain/model';

const conventions = { ...bareConventions(), prefixLabels: new Map([[4, 'Dr.']]), suffixLabels: new Map([[1, 'Jr.']]) };
const none = { id: null, custom: null, display: null };
const named = (fields: Partial<NamedContact>): NamedContact => ({
  contactType: 'Individual',
  firstName: null,
  middleName: null,
  lastName: null,
  prefixId: null,
  suffixId: null,
  organizationName: null,
  householdName: null,
  greetings: { email_greeting: none, postal_greeting: none, addressee: none },
  ...fields,
});
const ADDRESSEE = '{contact.prefix_id:label}{ }{contact.first_name}{ }{contact.middle_name}{ }{contact.last_name}{ }{contact.suffix_id:label}';

describe("CiviCRM's templates (pure)", () => {
  it('when parts are empty, then the separators around them disappear', () => {
    expect(renderTemplate(ADDRESSEE, named({ firstName: 'Ann', lastName: 'Lee' }), conventions)).to.equal('Ann Lee');
    expect(renderTemplate(ADDRESSEE, named({ prefixId: 4, lastName: 'Lee', suffixId: 1 }), conventions)).to.equal('Dr. Lee Jr.');
    expect(renderTemplate('{contact.last_name}{, }{contact.first_name}', named({ firstName: 'Ann' }), conventions)).to.equal('Ann');
    expect(renderTemplate('{contact.last_name}{, }{contact.first_name}', named({ firstName: 'Ann', lastName: 'Lee' }), conventions)).to.equal('Lee, Ann');
  });

  it('when a greeting has no first name, then its spaces are stripped as CiviCRM does', () => {
    expect(renderTemplate('Dear {contact.first_name}', named({}), conventions)).to.equal('Dear');
  });

  it('when a template holds a token or syntax this renderer does not know, then it renders nothing (CiviCRM\'s own job will)', () => {
    expect(renderTemplate('Dear {contact.nick_name}', named({ firstName: 'Ann' }), conventions)).to.equal(null);
    expect(renderTemplate('{if $x}Hi{/if}', named({}), conventions)).to.equal(null);
  });
});
