// deploy/kubernetes/ checked without a cluster: every manifest its kustomizations list is valid against
// the Kubernetes API schemas (kubernetes-models' validators, and its types for fields the API does not
// know), and agrees with what this repository's image and server do: the port and user of
// docker/Dockerfile, the environment names the code reads, the probe paths answering on a real
// `specbind serve`, the drain bounds of src/cli/serve.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import * as ts from 'typescript';
import { basePathOf } from '../../src/server';
import { DEFAULT_SHUTDOWN_TIMEOUT } from '../../src/observability/lifecycle';
import { freePort, until } from '../helpers/processes';

const ROOT = path.join(__dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy/kubernetes');
const rel = (file: string) => path.relative(ROOT, file);

// ---- loading: the kustomizations, and the files they list ----

interface Manifest {
  file: string;
  object: any;
}

interface Kustomization {
  dir: string;
  spec: any;
  manifests: Manifest[];
}

/** The fields of a kustomization this test applies itself; anything else it would have to learn first. */
const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'components', 'images', 'namespace']);

/** Every folder under deploy/kubernetes with its kustomization.yaml (a Kustomization or a Component). */
function loadKustomizations(): Kustomization[] {
  const found: Kustomization[] = [];
  const walk = (dir: string) => {
    const file = path.join(dir, 'kustomization.yaml');
    if (!existsSync(file)) throw new Error(`${rel(dir)} has no kustomization.yaml: kubectl apply -k would not see it`);
    const spec = yaml.load(readFileSync(file, 'utf8')) as any;
    const manifests = (spec.resources ?? []).flatMap((entry: string) => {
      const target = path.join(dir, entry);
      if (!existsSync(target)) throw new Error(`${rel(file)} lists ${entry}, which does not exist`);
      if (statSync(target).isDirectory()) throw new Error(`${rel(file)} lists the folder ${entry}: list its files, or make it a component`);
      return yaml.loadAll(readFileSync(target, 'utf8')).filter((o) => o != null).map((object) => ({ file: rel(target), object }));
    });
    found.push({ dir, spec, manifests });
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(path.join(dir, entry.name));
  };
  walk(DEPLOY);
  return found;
}

const kustomizations = loadKustomizations();
const base = kustomizations.find((k) => k.dir === DEPLOY)!;
const examples = kustomizations.filter((k) => k !== base);
const all = kustomizations.flatMap((k) => k.manifests);

/** The one object of `kind` among `manifests` (the base's unless told). */
function only(kind: string, manifests: Manifest[] = base.manifests): any {
  const found = manifests.filter((m) => m.object?.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in deploy/kubernetes, found ${found.length}`);
  return found[0].object;
}

const deployment = only('Deployment');
const pod = deployment.spec.template;
const container = pod.spec.containers.find((c: any) => c.name === 'specbind') ?? pod.spec.containers[0];
const configMap = only('ConfigMap');
const secret = only('Secret');
const service = only('Service');
const settings: Record<string, string> = { ...configMap.data };

// ---- what the repository says: the image, the code, the README ----

/** docker/Dockerfile's runtime stage (from its last FROM): ENV, EXPOSE, USER, continuation lines joined. */
function dockerfile() {
  const lines = readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8').replace(/\\\n/g, ' ').split('\n');
  const last = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const runtime = lines.slice(last).map((l) => l.trim());
  const env: Record<string, string> = {};
  for (const line of runtime.filter((l) => /^ENV\s/i.test(l))) {
    for (const m of line.slice(3).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  const expose = runtime.filter((l) => /^EXPOSE\s/i.test(l)).flatMap((l) => l.split(/\s+/).slice(1).map((p) => Number(p.split('/')[0])));
  const user = runtime.filter((l) => /^USER\s/i.test(l)).pop()?.split(/\s+/)[1] ?? '';
  const [uid, gid] = user.split(':');
  return { env, expose, uid: Number(uid), gid: gid === undefined ? undefined : Number(gid) };
}

/** Every environment variable name src/ and handlers/ read (process.env.X, serve.ts's env('X'), an env parameter's env.X). */
function namesTheCodeReads(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(ts|mts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        const text = readFileSync(file, 'utf8');
        for (const re of [/process\.env\.([A-Z][A-Z0-9_]*)/g, /process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g, /\benv\(['"]([A-Z][A-Z0-9_]*)['"]\)/g, /\benv\??\.([A-Z][A-Z0-9_]*)\b/g]) {
          for (const m of text.matchAll(re)) names.add(m[1]);
        }
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  walk(path.join(ROOT, 'handlers'));
  return names;
}

/** The names in README's "Environment variables" table (its first column). */
function namesTheReadmeDocuments(): Set<string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Environment variables');
  const section = readme.slice(start, readme.indexOf('\n#', start + 1));
  const names = new Set<string>();
  for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
    for (const m of row.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]);
  }
  return names;
}

/** The seconds serve.ts's SIGTERM handler gives onClose past the drain before it exits 1 (`timeout + 5000`). */
function cliExtraSeconds(): number {
  const source = readFileSync(path.join(ROOT, 'src/cli/serve.ts'), 'utf8');
  const m = /\}, timeout \+ ([\d_]+)\)\.unref\(\)/.exec(source);
  if (!m) throw new Error("src/cli/serve.ts: the exit timer after SIGTERM (`}, timeout + N).unref()`) was not found: update this test");
  return Number(m[1].replace(/_/g, '')) / 1000;
}

/** A Kubernetes quantity as a number (cores, bytes). */
function quantity(value: string | number): number {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(value));
  if (!m) throw new Error(`not a quantity this test reads: ${value}`);
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

/** `selector` (matchLabels) picks a pod with `labels`. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** A port reference (a name or a number) that means the container's port. */
function isContainerPort(ref: string | number, port: { name?: string; containerPort: number }): boolean {
  return typeof ref === 'number' ? ref === port.containerPort : ref === port.name;
}

const httpPort = container.ports.find((p: any) => p.name === 'http') ?? container.ports[0];
const podLabels: Record<string, string> = pod.metadata.labels;

// ---- the files and the schemas ----

describe('deploy/kubernetes: files and schemas', () => {
  it('lists every file of each folder in its kustomization, and only files that exist', () => {
    for (const k of kustomizations) {
      const listed = new Set<string>((k.spec.resources ?? []).map((r: string) => path.normalize(r)));
      const files = readdirSync(k.dir, { withFileTypes: true }).filter((e) => e.isFile() && e.name !== 'kustomization.yaml').map((e) => e.name);
      expect({ folder: rel(k.dir), notListed: files.filter((f) => !listed.has(f)) }).toEqual({ folder: rel(k.dir), notListed: [] });
      for (const field of Object.keys(k.spec)) {
        if (!KUSTOMIZATION_FIELDS.has(field)) throw new Error(`${rel(k.dir)}/kustomization.yaml: this test does not apply "${field}"; teach it, so that it checks what kubectl applies`);
      }
      expect(['Kustomization', 'Component']).toContain(k.spec.kind);
    }
    expect(base.spec.kind).toBe('Kustomization');
    // A subfolder is a component the base names (in a comment while it is off, as examples/ is).
    const baseText = readFileSync(path.join(DEPLOY, 'kustomization.yaml'), 'utf8');
    for (const k of examples) {
      expect(k.spec.kind).toBe('Component');
      expect(baseText).toMatch(new RegExp(`^#?\\s*-\\s*${path.relative(DEPLOY, k.dir)}\\s*$`, 'm'));
    }
    expect(all.length).toBeGreaterThanOrEqual(6);
  });

  it('validates every object against the Kubernetes API schema of its apiVersion and kind', () => {
    for (const { file, object } of all) {
      const Model = modelOf(object);
      if (!Model) throw new Error(`${file}: ${object?.apiVersion} ${object?.kind} is not a kind kubernetes-models knows`);
      expect(() => new Model(object).validate()).not.toThrow();
      expect(object.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it('uses no field the API does not know (the schema validators let them through; kubectl --validate=strict does not)', () => {
    expect(unknownFields(all)).toEqual([]);
  });

  it('keeps the names unique per kind, and the Deployment, Service, ConfigMap and Secret referring to each other', () => {
    const keys = all.map((m) => `${m.object.kind}/${m.object.metadata.name}`);
    expect(keys.length).toBe(new Set(keys).size);
    const envFrom = container.envFrom ?? [];
    expect(envFrom.map((e: any) => e.configMapRef?.name).filter(Boolean)).toEqual([configMap.metadata.name]);
    expect(envFrom.map((e: any) => e.secretRef?.name).filter(Boolean)).toEqual([secret.metadata.name]);
    // The image the Deployment names is the one the kustomization replaces with the operator's.
    expect(base.spec.images.map((i: any) => i.name)).toContain(container.image);
  });
});

// Which kubernetes-models class validates an object: `kubernetes-models/<group>/<version>/<Kind>`.
function modelOf(object: any): (new (data: any) => { validate(): void }) | undefined {
  if (typeof object?.apiVersion !== 'string' || typeof object?.kind !== 'string' || !/^[A-Z][A-Za-z]+$/.test(object.kind)) return undefined;
  try {
    const Model = require(`kubernetes-models/${object.apiVersion}/${object.kind}`)[object.kind];
    return Model && Model.apiVersion === object.apiVersion && Model.kind === object.kind ? Model : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fields outside the schema, found by the TypeScript types kubernetes-models generates from the same
 * OpenAPI document: each object becomes an object literal of its kind's interface, and tsc's
 * excess-property check names any field (at any depth) the interface lacks, e.g. `readinesProbe`.
 */
function unknownFields(manifests: Manifest[]): string[] {
  const file = path.join(ROOT, 'test/deploy/__manifests__.ts'); // never written: served from memory
  const chunks = manifests.map(({ object }, i) => `import type { I${object.kind} as T${i} } from 'kubernetes-models/${object.apiVersion}/${object.kind}';\nexport const o${i}: T${i} = ${JSON.stringify(object)};\n`);
  const starts = chunks.map((_, i) => chunks.slice(0, i).join('').length);
  const source = chunks.join('');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest));
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file?.fileName === file && d.start !== undefined ? starts.filter((start) => start <= d.start!).length - 1 : -1;
    return `${at >= 0 ? `${manifests[at].file} (${manifests[at].object.kind}): ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

// ---- what kubectl would apply ----

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** The objects as kustomize leaves them: the `images:` replacement and the namespace applied. */
function asApplied(manifests: Manifest[]): any[] {
  return manifests.map(({ object }) => {
    const copy = JSON.parse(JSON.stringify(object));
    if (base.spec.namespace) copy.metadata.namespace = base.spec.namespace;
    for (const c of copy.spec?.template?.spec?.containers ?? []) {
      const image = (base.spec.images ?? []).find((i: any) => i.name === c.image);
      if (image) c.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ''}`;
    }
    return copy;
  });
}

const byKindAndName = (objects: any[]) => Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));

(kubectl ? describe : describe.skip)('deploy/kubernetes: kubectl kustomize (kubectl on PATH)', () => {
  it('builds the objects this test checks, the image replaced', () => {
    const built = spawnSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8' });
    expect({ status: built.status, stderr: built.status === 0 ? '' : built.stderr }).toEqual({ status: 0, stderr: '' });
    expect(byKindAndName(yaml.loadAll(built.stdout))).toEqual(byKindAndName(asApplied(base.manifests)));
  });

  it('builds with the example components turned on', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'specbind-kustomize-'));
    try {
      const up = path.relative(dir, DEPLOY);
      writeFileSync(path.join(dir, 'kustomization.yaml'), yaml.dump({ resources: [up], components: examples.map((k) => path.relative(dir, k.dir)) }));
      const built = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      expect({ status: built.status, stderr: built.status === 0 ? '' : built.stderr }).toEqual({ status: 0, stderr: '' });
      expect(byKindAndName(yaml.loadAll(built.stdout))).toEqual(byKindAndName(asApplied(all)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- agreement with the image and the code ----

describe('deploy/kubernetes agrees with docker/Dockerfile', () => {
  const image = dockerfile();

  it("listens on the image's PORT, which it EXPOSEs, on every address", () => {
    expect(httpPort.containerPort).toBe(Number(image.env.PORT));
    expect(image.expose).toContain(httpPort.containerPort);
    expect(image.env.HOST).toBe('0.0.0.0');
    // Nothing in the pod moves them.
    for (const name of ['PORT', 'HOST']) {
      const set = settings[name] ?? (container.env ?? []).find((e: any) => e.name === name)?.value;
      if (set !== undefined) expect(String(set)).toBe(image.env[name]);
    }
  });

  it("runs as the image's USER, non-root, with nothing it does not need", () => {
    const podSecurity = pod.spec.securityContext ?? {};
    const security = container.securityContext ?? {};
    const runAsUser = security.runAsUser ?? podSecurity.runAsUser;
    expect(runAsUser).toBe(image.uid);
    expect(runAsUser).toBeGreaterThan(0);
    if (image.gid !== undefined) expect(security.runAsGroup ?? podSecurity.runAsGroup).toBe(image.gid);
    expect(security.runAsNonRoot ?? podSecurity.runAsNonRoot).toBe(true);
    expect(security.readOnlyRootFilesystem).toBe(true);
    expect(security.allowPrivilegeEscalation).toBe(false);
    expect(security.capabilities?.drop).toEqual(['ALL']);
    expect(security.capabilities?.add ?? []).toEqual([]);
    expect((security.seccompProfile ?? podSecurity.seccompProfile)?.type).toBe('RuntimeDefault');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it('gives the read-only root filesystem a writable /tmp', () => {
    const mount = (container.volumeMounts ?? []).find((m: any) => m.mountPath === '/tmp');
    expect(mount).toBeDefined();
    expect(pod.spec.volumes.find((v: any) => v.name === mount.name)?.emptyDir).toBeDefined();
  });
});

describe('deploy/kubernetes agrees with the server', () => {
  it('sets only environment variables the server reads and README documents', () => {
    const read = namesTheCodeReads();
    const documented = namesTheReadmeDocuments();
    const set = [...Object.keys(configMap.data ?? {}), ...Object.keys(secret.stringData ?? {}), ...Object.keys(secret.data ?? {}), ...(container.env ?? []).map((e: any) => e.name)];
    expect(set.filter((name) => !read.has(name))).toEqual([]);
    expect(set.filter((name) => !documented.has(name))).toEqual([]);
    // The Secret carries what is secret, the ConfigMap the rest.
    expect(Object.keys(secret.stringData ?? secret.data).sort()).toEqual(['API_KEYS', 'DATABASE_URL']);
    expect(Object.values(configMap.data).every((v) => typeof v === 'string')).toBe(true);
  });

  it('keeps example values only in the Secret it ships', () => {
    for (const [name, value] of Object.entries(secret.stringData ?? {})) expect({ name, value }).toEqual({ name, value: expect.stringContaining('change-me') });
    expect(secret.data).toBeUndefined();
    // Service links would add {SERVICE}_PORT-style names: a Service called specbind makes SPECBIND_*.
    expect(pod.spec.enableServiceLinks).toBe(false);
  });

  it('probes /healthz for startup and liveness and /readyz for readiness, on the container port', () => {
    expect(container.startupProbe?.httpGet?.path).toBe('/healthz');
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      expect(isContainerPort(probe.httpGet.port, httpPort)).toBe(true);
    }
    // The server answers its own 503 before the kubelet's probe times out.
    const readyTimeout = Number(settings.READY_TIMEOUT_MS ?? 2000);
    expect(container.readinessProbe.timeoutSeconds * 1000).toBeGreaterThan(readyTimeout);
  });

  it('gives SIGTERM a grace period longer than preStop + SPECBIND_SHUTDOWN_TIMEOUT + the CLI\'s extra seconds', () => {
    const preStop = container.lifecycle?.preStop;
    const pause = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.join(' ').match(/^sleep (\d+)$/)?.[1]);
    expect(pause).toBeGreaterThan(0);
    const drain = Number(settings.SPECBIND_SHUTDOWN_TIMEOUT ?? DEFAULT_SHUTDOWN_TIMEOUT) / 1000;
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(pause + drain + cliExtraSeconds());
  });

  it('asks for CPU and memory, and caps both', () => {
    const { requests, limits } = container.resources;
    for (const resource of ['cpu', 'memory']) {
      expect(quantity(requests[resource])).toBeGreaterThan(0);
      expect(quantity(limits[resource])).toBeGreaterThanOrEqual(quantity(requests[resource]));
    }
  });

  it("has the scrape annotation's port be the container port (the real server below answers its path)", () => {
    const annotations = pod.metadata.annotations ?? {};
    if (annotations['prometheus.io/port'] !== undefined) expect(Number(annotations['prometheus.io/port'])).toBe(httpPort.containerPort);
  });
});

describe('deploy/kubernetes: the objects around the Deployment', () => {
  it('Service: selects the pods and targets the container port', () => {
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    for (const port of service.spec.ports) expect(isContainerPort(port.targetPort, httpPort)).toBe(true);
    expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
  });

  it('PodDisruptionBudget: selects the pods and lets at most one go at a time', () => {
    const pdb = only('PodDisruptionBudget');
    expect(pdb.spec.selector.matchExpressions).toBeUndefined();
    expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable ?? deployment.spec.replicas - pdb.spec.minAvailable).toBeLessThanOrEqual(1);
  });

  it('HorizontalPodAutoscaler: scales this Deployment on CPU, from the replicas it starts with', () => {
    const hpa = only('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(deployment.spec.replicas);
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(deployment.spec.replicas);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(3);
    const cpu = hpa.spec.metrics.find((m: any) => m.type === 'Resource' && m.resource.name === 'cpu');
    expect(cpu.resource.target.type).toBe('Utilization');
    expect(quantity(container.resources.requests.cpu)).toBeGreaterThan(0); // Utilization is of the request
  });

  it('rolls out without losing capacity, and spreads the pods over nodes', () => {
    const { type, rollingUpdate } = deployment.spec.strategy;
    expect(type).toBe('RollingUpdate');
    expect(rollingUpdate.maxUnavailable).toBe(0);
    expect(rollingUpdate.maxSurge).toBeGreaterThanOrEqual(1);
    const spread = (pod.spec.topologySpreadConstraints ?? []).find((c: any) => c.topologyKey === 'kubernetes.io/hostname');
    const antiAffinity = [
      ...(pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      ...(pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: any) => p.podAffinityTerm),
    ].find((t: any) => t.topologyKey === 'kubernetes.io/hostname');
    const term = spread ?? antiAffinity;
    expect(term).toBeDefined();
    expect(selects(term.labelSelector.matchLabels, podLabels)).toBe(true);
  });

  it("sizes PGPOOL_MAX so that the most pods that can exist fit PostgreSQL's default max_connections", () => {
    const hpa = only('HorizontalPodAutoscaler');
    const surge = deployment.spec.strategy.rollingUpdate.maxSurge;
    expect(typeof surge).toBe('number'); // a percentage would have to be counted against maxReplicas
    // maxReplicas, a rollout's new pod, and an old one still draining (it holds its pool until it exits).
    const pods = hpa.spec.maxReplicas + 2 * surge;
    const workers = Number(settings.SPECBIND_WORKERS ?? 1);
    const pool = Number(settings.PGPOOL_MAX ?? 10);
    const maxConnections = 100; // PostgreSQL's default
    const superuserReserved = 3; // superuser_reserved_connections' default
    expect(pods * workers * pool).toBeLessThanOrEqual(maxConnections - superuserReserved);
  });
});

describe('deploy/kubernetes/examples', () => {
  const ingresses = examples.flatMap((k) => k.manifests).filter((m) => m.object.kind === 'Ingress').map((m) => m.object);
  const policies = examples.flatMap((k) => k.manifests).filter((m) => m.object.kind === 'NetworkPolicy').map((m) => m.object);
  const document = yaml.load(readFileSync(path.join(ROOT, 'openapi/api.yaml'), 'utf8')) as any;
  const routes = ingresses.flatMap((i) => i.spec.rules.flatMap((r: any) => r.http.paths));
  /** Whether an Ingress path routes `target` (Prefix: by whole path segments, as Kubernetes matches it). */
  const routed = (target: string) =>
    routes.some((r: any) => (r.pathType === 'Exact' ? target === r.path : target === r.path || target.startsWith(r.path.replace(/\/$/, '') + '/')));

  it('Ingress: sends to the Service, routes every path of the document, and not /metrics, /healthz or /readyz', () => {
    expect(ingresses.length).toBeGreaterThan(0);
    const servicePort = service.spec.ports[0];
    for (const r of routes) {
      const { name, port } = r.backend.service;
      expect(name).toBe(service.metadata.name);
      if (port.name !== undefined) expect(port.name).toBe(servicePort.name);
      else expect(port.number).toBe(servicePort.port);
    }
    const basePath = basePathOf(document);
    // A template segment ({image-name}) matches as any one segment: `x` stands for it.
    const missing = Object.keys(document.paths).map((p) => basePath + p.replace(/\{[^}]+\}/g, 'x')).filter((p) => !routed(p));
    expect(missing).toEqual([]);
    for (const internal of ['/metrics', '/healthz', '/readyz']) expect({ internal, routed: routed(internal) }).toEqual({ internal, routed: false });
  });

  it('NetworkPolicy: applies to the pods and admits the container port', () => {
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) {
      expect(selects(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
      for (const rule of policy.spec.ingress ?? []) for (const port of rule.ports ?? []) expect(isContainerPort(port.port, httpPort)).toBe(true);
    }
  });
});

// ---- a real server, as the pod runs it ----

describe('deploy/kubernetes against a real `specbind serve`', () => {
  let child: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';
  let origin = '';
  const image = dockerfile();

  beforeAll(async () => {
    const port = await freePort();
    // The pod's environment: the image's ENV, the ConfigMap, the Secret; nothing the test's own
    // environment happens to set for the server. DATABASE_URL is left out (its host is an example),
    // so the embedded database answers instead, in memory; the port is a free one on 127.0.0.1.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of namesTheCodeReads()) delete env[name];
    Object.assign(env, image.env, settings, secret.stringData, { HOST: '127.0.0.1', PORT: String(port), LOG_FORMAT: 'json' });
    delete env.DATABASE_URL;
    env.PGLITE_DATA_DIR = 'memory://';
    // The image's CMD, from the sources: serve --spec openapi/api.yaml --handlers dist/handlers --config dist/handlers/_app/config.js
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--spec', 'openapi/api.yaml', '--handlers', 'handlers', '--config', 'handlers/_app/config.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    origin = `http://127.0.0.1:${port}`;
    // The startup probe's budget: periodSeconds x failureThreshold.
    const budget = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold * 1000;
    await until(
      'the startup probe to pass',
      async () => {
        if (child!.exitCode !== null) throw new Error(`specbind serve exited (${child!.exitCode}) with the pod's environment:\n${stderr}`);
        return (await get(container.startupProbe.httpGet.path, 2000))?.status === 200 ? true : undefined;
      },
      budget,
      () => stderr,
    );
  }, 90_000);

  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  async function get(target: string, ms: number): Promise<{ status: number; text: string } | undefined> {
    try {
      const response = await fetch(origin + target, { signal: AbortSignal.timeout(ms), redirect: 'manual' });
      return { status: response.status, text: await response.text() };
    } catch {
      return undefined;
    }
  }

  it('answers each probe with 200 within its timeoutSeconds (readiness once the embedded database is up)', async () => {
    for (const probe of [container.startupProbe, container.livenessProbe]) {
      expect((await get(probe.httpGet.path, probe.timeoutSeconds * 1000))?.status).toBe(200);
    }
    const readiness = container.readinessProbe;
    await until('/readyz 200', async () => ((await get(readiness.httpGet.path, readiness.timeoutSeconds * 1000))?.status === 200 ? true : undefined), 30_000, () => stderr);
  });

  it('serves the metrics path the scrape annotations name, and the paths the example Ingress routes exactly', async () => {
    const annotations = pod.metadata.annotations ?? {};
    const metrics = await get(annotations['prometheus.io/path'] ?? '/metrics', 5000);
    expect(metrics?.status).toBe(200);
    expect(metrics?.text).toContain('specbind_http_request_duration_seconds');
    const ingress = examples.flatMap((k) => k.manifests).filter((m) => m.object.kind === 'Ingress');
    const paths = ingress.flatMap((m) => m.object.spec.rules.flatMap((r: any) => r.http.paths));
    for (const route of paths.filter((r: any) => r.pathType === 'Exact' || r.path === '/docs')) {
      const answer = await get(route.path, 5000);
      // /health needs an API key (the example Secret's): 401 says the route exists as much as 200 does.
      expect({ path: route.path, found: answer !== undefined && answer.status !== 404 && answer.status < 500 }).toEqual({ path: route.path, found: true });
    }
  });

  it("drains on SIGTERM with the ConfigMap's SPECBIND_SHUTDOWN_TIMEOUT, and exits 0 well inside the grace period", async () => {
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    const preStop = Number(container.lifecycle.preStop.exec?.command?.[1] ?? container.lifecycle.preStop.sleep?.seconds);
    expect(Date.now() - started).toBeLessThan((pod.spec.terminationGracePeriodSeconds - preStop) * 1000);
    const lines = stdout.split('\n').filter(Boolean).map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    });
    const shutdown = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'));
    expect(shutdown?.timeout).toBe(Number(settings.SPECBIND_SHUTDOWN_TIMEOUT));
    // And the store line config.ts prints: the migrations ran at startup, as every pod runs them.
    expect(stderr).toMatch(/specbind: store: .*(applied migration\(s\)|schema up to date)/);
  }, 60_000);
});
