// shelf_bind's binding example (example/binding_example.dart), spec-native: the document says where
// each value comes from, specbind coerces and validates it, and bind() builds the domain object,
// so the handlers are the same small domain functions as shelf_bind's. Typed by the document
// (openapi/api.types.ts): a bound handler's input is the operation's input plus the built object.
import { bind } from '../src';
import type { Handlers, Input, Result } from '../openapi/api.types';
import { Account, Person } from './_app/models';

/**
 * `PUT /account/1234?name=fred` → `{"accountId":"1234","person":{"name":"fred"}}`. As in shelf_bind
 * the binding is inferred: every parameter goes to `Person.build`, which takes the `name`.
 */
export const createAccount = bind(Person, {}, (input: Input<'createAccount'> & { person: Person }): Result<'createAccount'> => new Account(input.accountId, input.person));

/** shelf_bind's `_handlePerson`: echo the bound person (its toJSON is what is sent). */
function handlePerson(input: { person: Person }): Result<'findPerson' | 'getPersonByPath'> {
  return input.person;
}

// One binding for both routes, as shelf_bind's `pathBindHandler` served `/person/{name}` and `/person{?name}`.
const personFromName = bind(Person, { name: 'name' }, handlePerson);
export const getPersonByPath = personFromName;
export const findPerson = personFromName;

/** The body is already a Person: the document $refs #/components/schemas/Person and config registers the class. */
export const createPerson: Handlers['createPerson'] = (input) => input.body;
