// TEST SEAM (contract tests only): the bundled API's store with a switch that makes it fail, so the
// documented database conditions can be driven through the real handlers:
//   'unavailable' → every call rejects with StoreError({ unavailable: true }) → 503 noDatabase
//   'failing'     → every call rejects with StoreError (one query failing)  → 500 badQuery / badDatabase
// It is installed with the store's own setStore() by test/contract/run.ts; nothing in handlers/ or
// src/ knows about it.
import { MemoryStore, StoreError, type Store } from '../../handlers/_app/store';

export type Fault = 'none' | 'unavailable' | 'failing';

export class FaultInjectingStore implements Store {
  fault: Fault = 'none';

  constructor(private readonly inner: Store = new MemoryStore()) {}

  private async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.fault === 'unavailable') throw new StoreError('contract test: store made unavailable', { unavailable: true });
    if (this.fault === 'failing') throw new StoreError('contract test: query made to fail');
    return call();
  }

  getBuild(...a: Parameters<Store['getBuild']>) { return this.run(() => this.inner.getBuild(...a)); }
  listBuilds(...a: Parameters<Store['listBuilds']>) { return this.run(() => this.inner.listBuilds(...a)); }
  saveBuild(...a: Parameters<Store['saveBuild']>) { return this.run(() => this.inner.saveBuild(...a)); }
  startBuild(...a: Parameters<Store['startBuild']>) { return this.run(() => this.inner.startBuild(...a)); }
  advanceBuild(...a: Parameters<Store['advanceBuild']>) { return this.run(() => this.inner.advanceBuild(...a)); }
  getTemplate(...a: Parameters<Store['getTemplate']>) { return this.run(() => this.inner.getTemplate(...a)); }
  listTemplates(...a: Parameters<Store['listTemplates']>) { return this.run(() => this.inner.listTemplates(...a)); }
  saveTemplate(...a: Parameters<Store['saveTemplate']>) { return this.run(() => this.inner.saveTemplate(...a)); }
  getApplication(...a: Parameters<Store['getApplication']>) { return this.run(() => this.inner.getApplication(...a)); }
  listApplications(...a: Parameters<Store['listApplications']>) { return this.run(() => this.inner.listApplications(...a)); }
  saveApplication(...a: Parameters<Store['saveApplication']>) { return this.run(() => this.inner.saveApplication(...a)); }
  ping() { return this.run(() => this.inner.ping()); }
  close() { return this.inner.close(); }
}
