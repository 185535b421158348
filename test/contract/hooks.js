// dredd hooks for the bundled API (openapi/api.yaml + handlers/), loaded by test/contract/run.ts.
//
// Every transaction starts from an empty store. A scenario per (operationId, status) then creates
// what the request needs through the API itself (a build to read, a template to deploy, ...) and
// shapes the request so the server gives the documented answer: the example request for 2xx, an
// invalid one for 400, no or a wrong key for 401, a missing record for 404, a running build for 409,
// an oversized file for 413, a GitLab repository or a wrong checksum for 422, and a failing (500) or
// unavailable (503) store through the runner's test seam (test/contract/fault-store.ts). What dredd
// cannot send itself (deepObject query parameters, form and multipart bodies) is built from the
// document's examples (requests.ts). After dredd's own checks, every response is validated against
// the original document's schema (checkResponse in context.ts), so a wrong type fails; a streamed
// body (server-sent events, JSON Lines) is parsed and each of its items validated, and the
// scenario's `expect` gets the items (the build log's events, the export's lines).
//
// Hooks are matched by operationId and status, never by dredd's transaction names, so renaming a
// summary in the document does not silently disconnect a hook. A documented response with no
// scenario fails the run (see `scenarioFor`), rather than being skipped.
const { createHash } = require('node:crypto');
const hooks = require('hooks');
const { getContext, operationFor, responseFor, checkResponse, bodyOf } = require('./context');
const { queryString, exampleBody, exampleOf, exampleParts, multipart } = require('./requests');

const ctx = getContext();
ctx.hooksLoaded = true;

const IMAGE = 'binder-project-example-requirements';
const REPOSITORY = 'https://github.com/binder-project/example-requirements';
const TEMPLATE = {
  name: IMAGE,
  'image-source': `binder/${IMAGE}`,
  port: 8888,
  'image-pull-secret': 's3cr3t-pull-token',
};

// ---------------------------------------------------------------------------------------------
// Setup through the API, with the valid key. A setup call that does not answer 2xx fails the
// transaction with the reason (it is never silently ignored).

async function api(method, path, body) {
  const headers = { 'X-API-Key': ctx.apiKey, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(ctx.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw new Error(`setup ${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const startBuild = (repository) => api('POST', '/builds', { repository, force: true });
const pollBuild = (image) => api('GET', `/builds/${image}`);
const registerTemplate = (template = TEMPLATE) => api('POST', '/templates', template);
const deploy = (template = IMAGE) => api('POST', `/applications/${template}`);
const pollApplication = (app) => api('GET', `/applications/${app['template-name']}/${app.id}`);

// ---------------------------------------------------------------------------------------------
// Shaping the request.

function setPath(t, path) {
  t.fullPath = path;
  t.request.uri = path;
  // dredd reports a transaction by its id: make it show the request really sent (and, where one
  // response has a transaction per request media type, which one: see beforeAll).
  t.id = `${t.request.method} (${t.expected.statusCode}) ${path}${t.mediaSuffix || ''}`;
}

function setBody(t, value) {
  t.request.body = typeof value === 'string' ? value : JSON.stringify(value);
}

function requestType(t) {
  const key = Object.keys(t.request.headers).find((k) => k.toLowerCase() === 'content-type');
  return key ? String(t.request.headers[key]).split(';')[0].trim().toLowerCase() : '';
}

const isForm = (t) => requestType(t) === 'application/x-www-form-urlencoded';

/** A real multipart/form-data body: the parts, and the Content-Type with its boundary. */
function setMultipart(t, parts) {
  const { body, contentType } = multipart(parts);
  t.request.body = body;
  setHeader(t, 'Content-Type', contentType);
}

/** The document's multipart example for the operation, with some parts replaced (file content, fields). */
function uploadParts(t, replace = {}) {
  return exampleParts(ctx, t.contract.op)
    .filter((part) => replace[part.name] !== null)
    .map((part) => (replace[part.name] === undefined ? part : { ...part, value: replace[part.name] }));
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function removeHeader(t, name) {
  for (const key of Object.keys(t.request.headers)) if (key.toLowerCase() === name.toLowerCase()) delete t.request.headers[key];
}

function setHeader(t, name, value) {
  removeHeader(t, name);
  t.request.headers[name] = value;
}

/** A check on the answer's content, beyond its schema (used where setup made the content predictable). */
function expectLength(n) {
  return (body) => (Array.isArray(body) && body.length === n ? undefined : `expected ${n} item(s), got ${JSON.stringify(body)}`);
}

/**
 * The whole log of a build that finishes while it is read (`events`: the SSE events, `data` parsed,
 * each already valid against BuildLogEvent): fetching → building → registering → finished, once each,
 * ids `<start>-0` … `<start>-3`, the first with `retry`, the last `completed`, then the end.
 */
function expectBuildLog(events, t) {
  const start = Date.parse(t.contract.build['start-time']);
  const got = events.map((e) => `${e.id} ${e.data && e.data.phase}:${e.data && e.data.status}`);
  const want = ['fetching:running', 'building:running', 'registering:running', 'finished:completed'].map((s, i) => `${start}-${i} ${s}`);
  if (JSON.stringify(got) !== JSON.stringify(want)) return `expected the build's 4 phase events ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
  if (events[0].retry === undefined || events.slice(1).some((e) => e.retry !== undefined)) return 'expected `retry` on the first event only';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Scenarios: `${operationId} ${status}` → { setup(t), expect?(body) }. 401, 500 and 503 are the
// same for every operation that declares them (below); everything else is here.

/**
 * dredd requires every key of the documented example, and the shared MalformedRequest example shows a
 * query parameter's violation (`errors: [{ in, name, message }]`). A body's violation is located by
 * `pointer` instead (both are optional in #/components/schemas/ProblemError), so for operations whose
 * only input is a body, dredd compares against this example of the same schema.
 */
function bodyViolation(instance, pointer) {
  return {
    type: 'urn:specbind:problem:validationFailed',
    title: 'Request validation failed',
    status: 400,
    detail: 'The request does not match the operation\'s parameters or body',
    instance,
    errors: [{ in: 'body', pointer, message: 'must be string' }],
  };
}

const scenarios = {
  // POST /builds
  'startBuild 202': { setup: async () => {} },
  'startBuild 400': { setup: async (t) => setBody(t, { repository: 42, force: 'yes' }), expectedBody: bodyViolation('/builds', '/repository') },
  'startBuild 409': {
    setup: async (t) => {
      await startBuild(REPOSITORY); // now running
      setBody(t, { repository: REPOSITORY, force: false });
    },
  },
  'startBuild 422': { setup: async (t) => setBody(t, { repository: 'https://gitlab.com/binder-project/example-requirements' }) },

  // GET /builds?phase=building&phase=finished&filter[status]=running&filter[since]=…&filter[limit]=10
  // (the document's examples: an array query and a deepObject filter)
  'getAllBuilds 200': {
    setup: async () => {
      await startBuild(REPOSITORY);
      await pollBuild(IMAGE); // → building, running: kept
      await startBuild('https://github.com/binder-project/example-dockerfile');
      for (let i = 0; i < 3; i++) await pollBuild('binder-project-example-dockerfile'); // → finished, completed: filter[status] drops it
      await startBuild('https://github.com/binder-project/example-conda'); // fetching: phase drops it
    },
    expect: expectLength(1),
  },
  // An enum item of the array query, and a deepObject member that is not an integer.
  'getAllBuilds 400': { setup: async (t) => setPath(t, '/builds?phase=baking&filter[limit]=ten') },

  // GET /builds/{image-name}
  'getBuild 200': { setup: async () => void (await startBuild(REPOSITORY)) },
  'getBuild 400': { setup: async (t) => setPath(t, '/builds/Not-Lower-Case') },
  'getBuild 404': { setup: async (t) => setPath(t, '/builds/no-such-image') },

  // GET /builds/{image-name}/log (text/event-stream). Last-Event-ID: dredd sends the document's
  // example; a first connection sends none, so the 200 leaves it out and reads the whole log of a
  // running build, which the stream itself moves to `finished` (BUILD_LOG_STEP_MS, set by run.ts).
  'streamBuildLog 200': {
    setup: async (t) => {
      t.contract.build = await startBuild(REPOSITORY);
      removeHeader(t, 'Last-Event-ID');
    },
    expect: expectBuildLog,
  },
  // A reconnect after the final event of a finished build: nothing more, EventSource stops.
  'streamBuildLog 204': {
    setup: async (t) => {
      const build = await startBuild(REPOSITORY);
      for (let i = 0; i < 3; i++) await pollBuild(IMAGE);
      setHeader(t, 'Last-Event-ID', `${Date.parse(build['start-time'])}-3`);
    },
  },
  'streamBuildLog 400': { setup: async (t) => setPath(t, '/builds/Not-Lower-Case/log') },
  'streamBuildLog 404': { setup: async (t) => setPath(t, '/builds/no-such-image/log') },

  // GET /templates
  'fetchAllTemplates 200': { setup: async () => void (await registerTemplate()), expect: expectLength(1) },

  // GET /export/templates (application/jsonl): every line a Template (checked by checkResponse), by name.
  'exportTemplates 200': {
    setup: async () => {
      for (const name of ['zeta', IMAGE, 'alpha']) await registerTemplate({ ...TEMPLATE, name });
    },
    expect: (lines) => {
      const names = Array.isArray(lines) ? lines.map((l) => l && l.name) : lines;
      const want = ['alpha', IMAGE, 'zeta'];
      return JSON.stringify(names) === JSON.stringify(want) ? undefined : `expected one line per template, by name: ${JSON.stringify(want)}, got ${JSON.stringify(names)}`;
    },
  },

  // POST /templates
  'registerTemplate 200': { setup: async () => void (await registerTemplate()) }, // the example replaces it
  'registerTemplate 201': { setup: async () => {} }, // the store is empty: the example is new
  'registerTemplate 400': {
    // time-created is readOnly: sending it is invalid input
    setup: async (t) => setBody(t, { ...TEMPLATE, 'time-created': '2016-03-01T12:05:00.000Z' }),
    expectedBody: bodyViolation('/templates', '/time-created'),
  },

  // GET /templates/{template-name}
  'fetchTemplate 200': { setup: async () => void (await registerTemplate()) },
  'fetchTemplate 400': { setup: async (t) => setPath(t, '/templates/Not%20A%20Name') },
  'fetchTemplate 404': { setup: async (t) => setPath(t, '/templates/no-such-template') },

  // PUT /templates/{template-name}/pull-secret: multipart/form-data, the body built from the
  // document's example in beforeEach (a `file` part and the `sha256` field); scenarios change parts.
  'uploadPullSecret 200': {
    setup: async () => void (await registerTemplate()),
    expect: (body) => {
      const example = exampleOf(ctx.operations.find((op) => op.operationId === 'uploadPullSecret'), 'multipart/form-data');
      const want = { size: Buffer.byteLength(example.file), sha256: sha256(example.file) };
      return body.size === want.size && body.sha256 === want.sha256 ? undefined : `expected the example file's size and SHA-256 ${JSON.stringify(want)}`;
    },
  },
  'uploadPullSecret 400': {
    setup: async (t) => {
      await registerTemplate();
      setMultipart(t, uploadParts(t, { sha256: 'not-a-sha-256' }));
    },
    expectedBody: bodyViolation(`/templates/${IMAGE}/pull-secret`, '/sha256'),
  },
  'uploadPullSecret 404': { setup: async (t) => setPath(t, '/templates/no-such-template/pull-secret') },
  'uploadPullSecret 413': {
    setup: async (t) => {
      await registerTemplate();
      const file = 'x'.repeat(8 * 1024 + 1); // over the operation's 8 KiB
      setMultipart(t, uploadParts(t, { file, sha256: sha256(file) }));
    },
  },
  'uploadPullSecret 422': {
    setup: async (t) => {
      await registerTemplate();
      setMultipart(t, uploadParts(t, { sha256: sha256('not the file that is sent') })); // badSecretFile
    },
  },

  // POST /applications/{template-name}?cull-timeout=3600
  'createApplication 201': { setup: async () => void (await registerTemplate()) },
  'createApplication 400': {
    setup: async (t) => {
      await registerTemplate();
      setPath(t, `/applications/${IMAGE}?cull-timeout=10`); // minimum is 60
    },
  },
  'createApplication 404': { setup: async (t) => setPath(t, '/applications/no-such-template?cull-timeout=3600') },

  // GET /applications/{template-name}?status=deploying&status=deployed (the document's example filter)
  'getAllApplications 200': {
    setup: async () => {
      await registerTemplate();
      await pollApplication(await deploy()); // → deploying
      await deploy(); // pending: filtered out
    },
    expect: expectLength(1),
  },
  'getAllApplications 400': { setup: async (t) => setPath(t, `/applications/${IMAGE}?status=crashed`) },

  // GET /applications/{template-name}/{id}
  'getApplication 200': {
    setup: async (t) => {
      await registerTemplate();
      const app = await deploy();
      setPath(t, `/applications/${IMAGE}/${app.id}`); // ids are random: the example's cannot exist
    },
  },
  'getApplication 400': { setup: async (t) => setPath(t, `/applications/${IMAGE}/not-an-id`) },
  'getApplication 404': {
    setup: async (t) => {
      await registerTemplate();
      setPath(t, `/applications/${IMAGE}/${'0'.repeat(32)}`);
    },
  },

  // GET /health
  'getHealth 200': { setup: async () => {} },

  // shelf_bind's examples
  'createAccount 200': { setup: async () => {} },
  'createAccount 400': { setup: async (t) => setPath(t, '/account/1234') }, // name is required
  'findPerson 200': { setup: async () => {} },
  'findPerson 400': { setup: async (t) => setPath(t, '/person?name=') }, // minLength 1
  // One transaction per request media type (JSON, and the HTML form whose body beforeEach builds).
  'createPerson 200': { setup: async () => {} },
  'createPerson 400': {
    setup: async (t) => setBody(t, isForm(t) ? 'name=' : { name: 42 }), // minLength 1 / not a string
    expectedBody: bodyViolation('/person', '/name'),
  },
  'getPersonByPath 200': { setup: async () => {} },
  'getPersonByPath 400': { setup: async (t) => setPath(t, `/person/${'x'.repeat(101)}`) }, // maxLength 100
};

const byStatus = {
  // Alternate a missing key and a wrong one, so both are covered.
  401: (op, index) => ({
    setup: async (t) => (index % 2 === 0 ? removeHeader(t, 'X-API-Key') : setHeader(t, 'X-API-Key', 'not-a-valid-key')),
  }),
  500: () => ({ setup: async () => ctx.setFault('failing') }),
  503: () => ({ setup: async () => ctx.setFault('unavailable') }),
};

let statusIndex = 0;
function scenarioFor(op, status) {
  const explicit = scenarios[`${op.operationId} ${status}`];
  if (explicit) return explicit;
  if (byStatus[status]) return byStatus[status](op, statusIndex++);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The hooks.

hooks.beforeAll((transactions, done) => {
  // dredd makes one transaction per request media type × response, all with the same id and name
  // (`POST (200) /person` for the JSON and for the form body): such ids get the media type.
  const count = new Map();
  for (const t of transactions) count.set(t.id, (count.get(t.id) || 0) + 1);
  for (const t of transactions) {
    if (count.get(t.id) > 1) {
      t.mediaSuffix = ` [${requestType(t)}]`;
      t.id += t.mediaSuffix;
    }
    const op = operationFor(ctx, t.origin.resourceName, t.request.method);
    ctx.plan.set(t.id, { id: t.id, name: t.name, operationId: op ? op.operationId : '(unknown)', status: String(t.expected.statusCode) });
  }
  done();
});

hooks.beforeEach((t, done) => {
  const originalId = t.id;
  const planned = ctx.plan.get(originalId);
  const op = operationFor(ctx, t.origin.resourceName, t.request.method);
  if (!op) {
    t.fail = `no operation of openapi/api.yaml matches ${t.request.method} ${t.origin.resourceName}`;
    return done();
  }
  const status = String(t.expected.statusCode);
  const scenario = scenarioFor(op, status);
  t.contract = { op, scenario };
  if (!scenario) {
    t.fail = `no scenario drives ${op.operationId} ${status}: add one to test/contract/hooks.js (or skip it there, with its reason in test/contract/README.md)`;
    return done();
  }
  if (scenario.skip) {
    t.skip = true;
    if (planned) planned.skipped = scenario.skip;
    return done();
  }

  ctx.resetStore();
  // Query parameters dredd cannot template (see dredd-view.ts) go back in, from their examples, each
  // by its style (`cull-timeout=3600`, `filter[status]=running&filter[limit]=10`).
  const dropped = ctx.view.dropped.filter((d) => d.path === op.path && d.method === op.method && d.example !== undefined);
  if (dropped.length) setPath(t, `${t.fullPath}${t.fullPath.includes('?') ? '&' : '?'}${queryString(dropped)}`);
  // Bodies dredd sends empty (form, multipart): built from the document's example (requests.ts).
  const built = exampleBody(ctx, op, requestType(t));
  if (built) {
    t.request.body = built.body;
    setHeader(t, 'Content-Type', built.contentType);
  }
  if (op.security.length) setHeader(t, 'X-API-Key', ctx.apiKey);

  if (scenario.expectedBody) t.expected.body = JSON.stringify(scenario.expectedBody, null, 2);
  const finish = () => {
    if (planned && t.id !== originalId) {
      ctx.plan.delete(originalId);
      planned.id = t.id;
      ctx.plan.set(t.id, planned);
    }
    done();
  };
  scenario.setup(t).then(
    () => finish(),
    (error) => {
      t.fail = `scenario setup failed: ${error.message}`;
      finish();
    },
  );
});

hooks.beforeEachValidation((t, done) => {
  const { op, scenario } = t.contract || {};
  if (!op || !t.real) return done();
  const violations = checkResponse(ctx, op, t.real);
  if (violations.length === 0) {
    // JSON parsed; server-sent events and JSON Lines as their items.
    const body = bodyOf(t.real);
    const problem = checkProblem(op, t.real.statusCode, body);
    if (problem) violations.push(problem);
    const unexpected = scenario && scenario.expect && scenario.expect(body, t);
    if (unexpected) violations.push(unexpected);
  }
  if (violations.length) {
    t.fail = `response does not conform to openapi/api.yaml: ${violations.join('; ')}`;
    // Shown even when dredd's own check failed too.
    t.contract.violations = violations;
  }
  done();
});

/**
 * An error answer must be the documented condition, not just any problem with that status (the
 * router's 404 for a mistyped path, specbind's own 500, ...): its `type` is the one in the document's
 * example for that response (urn:specbind:problem:noBuildInfo, ...).
 *
 * dredd's own Accept (the error's media type) is sent unchanged: specbind must not answer it 406.
 */
function checkProblem(op, status, body) {
  const response = responseFor(op, status);
  const media = response && response.content.find((m) => m.mediaType === 'application/problem+json');
  const example = media && media.example;
  if (!example || typeof example.type !== 'string') return undefined;
  if (body && body.type === example.type) return undefined;
  return `expected the documented problem type ${example.type} (title "${example.title}"), got ${body && body.type} ("${body && body.title}")`;
}

hooks.afterEach((t, done) => {
  ctx.setFault('none');
  if (t.contract && t.contract.violations && t.test && t.test.message !== undefined && !t.test.valid) {
    t.test.message += `schema: ${t.contract.violations.join('\nschema: ')}\n`;
  }
  done();
});
