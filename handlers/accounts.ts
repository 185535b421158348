// shelf_bind's binding example (example/binding_example.dart), spec-native: the document says where
// each value comes from, specbind coerces and validates it, and bind() builds the domain object,
// so the handlers are the same small domain functions as shelf_bind's.
import { bind } from '../src';
import { Account, Person } from './_app/models';

/**
 * `PUT /account/1234?name=fred` → `{"accountId":"1234","person":{"name":"fred"}}`. As in shelf_bind
 * the binding is inferred: every parameter goes to `Person.build`, which takes the `name`.
 */
export const createAccount = bind(Person, {}, (input: { accountId: string; person: Person }) => new Account(input.accountId, input.person));

/** shelf_bind's `_handlePerson`: echo the bound person (its toJSON is what is sent). */
function handlePerson(input: { person: Person }): Person {
  return input.person;
}

// One binding for both routes, as shelf_bind's `pathBindHandler` served `/person/{name}` and `/person{?name}`.
const personFromName = bind(Person, { name: 'name' }, handlePerson);
export const getPersonByPath = personFromName;
export const findPerson = personFromName;

/** The body is already a Person: the document $refs #/components/schemas/Person and config registers the class. */
export function createPerson(input: { body: Person }): Person {
  return input.body;
}
