// Preloaded by the soak (`node --require`) before `specbind serve --config handlers/_app/config`: the
// bundled API keeps its state in MemoryStore (holding the document's examples) instead of a database,
// so the soak measures specbind rather than the database. Not a benchmark variant.
import { exampleContents } from '../../handlers/_app/seed';
import { MemoryStore, setStore } from '../../handlers/_app/store';

setStore(new MemoryStore(exampleContents()));
