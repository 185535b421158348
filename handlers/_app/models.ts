// shelf_bind's domain classes. specbind builds a Person for any body that $refs
// #/components/schemas/Person (Person.fromJSON), and JSON.stringify honours toJSON on the way out.

export class Person {
  constructor(readonly name: string) {}

  /** Used for JSON bodies (shelf_bind's `Person.fromJson`). */
  static fromJSON(json: unknown): Person {
    return new Person((json as { name: string }).name);
  }

  /** Used when binding from parameters (shelf_bind's `Person.build({name})`). */
  static build(fields: { name: string }): Person {
    return new Person(fields.name);
  }

  toJSON(): { name: string } {
    return { name: this.name };
  }

  toString(): string {
    return `Person[name: ${this.name}]`;
  }
}

export class Account {
  constructor(
    readonly accountId: string,
    readonly person: Person,
  ) {}

  toJSON(): { accountId: string; person: { name: string } } {
    return { accountId: this.accountId, person: this.person.toJSON() };
  }
}
