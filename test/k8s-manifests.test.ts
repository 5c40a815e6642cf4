// deploy/kubernetes/ (issue 16), offline: no cluster runs here, so the
// manifests are checked as data. Every document parses; every Kubernetes
// object validates against the API's OpenAPI schemas (kubernetes-models),
// the NetworkAttachmentDefinitions and the ServiceMonitor against their CRDs'
// schemas (test/fixtures/k8s, with ajv); every tsfwd command line parses with
// tsfwd's own parsers and drivers; the pods add exactly NET_RAW and
// NET_ADMIN, ask for whole CPUs with requests = limits, and leave room for
// the mempool; probes, ports, selectors and network names agree.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { parseL2fwdOptions } from '../src/apps/l2fwd/options';
import { makePlan } from '../src/apps/l2fwd/plan';
import { parseScript } from '../src/apps/pktgen/script';
import { parsePktgenOptions } from '../src/cli/pktgen';
import { parseSinkOptions } from '../src/cli/sink';
import { parseEal, splitAtDashDash } from '../src/eal/options';
import { Mempool } from '../src/mempool/mempool';
import { driver as afPacket } from '../src/port/af-packet/af-packet';
import { parseDevargs } from '../src/port/devargs';
import {
  Container, K8S_DIR, K8sObject, allObjects, expandedArgs, find, loadManifests, multusNetworks, podTemplate,
} from './helpers/k8s-manifests';

const manifests = loadManifests();
const objects = allObjects(manifests);
const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'k8s');

test('every YAML document parses, and each kustomization lists exactly the manifests beside it', () => {
  assert.ok(manifests.size >= 10, [...manifests.keys()].join(', '));
  for (const [file, docs] of manifests) {
    if (path.basename(file) !== 'kustomization.yaml') continue;
    const k = docs[0] as unknown as { apiVersion: string; kind: string; resources: string[]; images: { name: string; newName: string; newTag: string }[] };
    assert.equal(docs.length, 1);
    assert.equal(k.apiVersion, 'kustomize.config.k8s.io/v1beta1');
    const dir = path.dirname(file);
    const beside = [...manifests.keys()].filter((f) => path.dirname(f) === dir && path.basename(f) !== 'kustomization.yaml').map((f) => path.basename(f));
    assert.deepEqual([...k.resources].sort(), beside.sort(), `${file} resources`);
    assert.deepEqual(k.images.map((i) => i.name), ['tsfwd'], `${file}: the image name the manifests use`);
  }
});

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace, 'v1/ConfigMap': ConfigMap, 'v1/Service': Service, 'apps/v1/DaemonSet': DaemonSet, 'batch/v1/Job': Job,
};

/** The fixture schema with additionalProperties: false wherever it lists properties: a misspelt field fails here instead of being pruned. */
function strict(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema };
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [k, strict(v)]));
    if (out.additionalProperties === undefined && out.type === 'object' && Object.keys(out.properties as object).length > 0) out.additionalProperties = false;
  }
  if (out.items) out.items = strict(out.items as Record<string, unknown>);
  return out;
}

const CRDS: Record<string, string> = {
  'k8s.cni.cncf.io/v1/NetworkAttachmentDefinition': 'nad-crd-schema.json',
  'monitoring.coreos.com/v1/ServiceMonitor': 'servicemonitor-crd-schema.json',
};

test('every object validates: core kinds against the Kubernetes OpenAPI schemas, NAD and ServiceMonitor against their CRD schemas', () => {
  const ajv = new Ajv({ allErrors: true });
  const validators = Object.fromEntries(Object.entries(CRDS).map(([k, f]) => {
    const schema = JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as Record<string, unknown>;
    return [k, ajv.compile(strict(schema))];
  }));
  const seen = new Set<string>();
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    seen.add(key);
    const Model = MODELS[key];
    if (Model) {
      assert.doesNotThrow(() => new Model(o as never).validate(), `${key} ${o.metadata.name}`);
      continue;
    }
    const v = validators[key];
    assert.ok(v, `${key} ${o.metadata.name}: no schema to check it against`);
    assert.ok(v(o), `${key} ${o.metadata.name}: ${ajv.errorsText(v.errors)}`);
  }
  assert.deepEqual([...seen].sort(), [...Object.keys(MODELS), ...Object.keys(CRDS)].sort());
  // The checks can fail: a wrong type, a missing field, a misspelt CRD field.
  assert.throws(() => new DaemonSet({ metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'x' }] }] } } } } as never).validate());
  assert.equal(validators['monitoring.coreos.com/v1/ServiceMonitor']({ spec: { endpoints: [{ port: 'metrics', intervall: '15s' }], selector: {} } }), false);
  assert.equal(validators['k8s.cni.cncf.io/v1/NetworkAttachmentDefinition']({ spec: { config: {} } }), false);
});

test('everything is in namespace tsfwd, which exists', () => {
  find(manifests, 'Namespace', 'tsfwd');
  for (const o of objects) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'tsfwd', `${o.kind} ${o.metadata.name}`);
});

const workloads = objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'Job');
const containersOf = (o: K8sObject): Container[] => podTemplate(o).spec.containers;

test('every pod drops ALL capabilities and adds exactly NET_RAW and NET_ADMIN, nothing privileged', () => {
  assert.equal(workloads.length, 3);
  for (const w of workloads) {
    const t = podTemplate(w);
    assert.equal(t.spec.hostNetwork, undefined, w.metadata.name);
    for (const k of ['hostPID', 'hostIPC', 'hostNetwork']) assert.equal((t.spec as Record<string, unknown>)[k], undefined, `${w.metadata.name} sets ${k}`);
    for (const c of containersOf(w)) {
      const sc = c.securityContext;
      assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${w.metadata.name}/${c.name}`);
      assert.deepEqual([...(sc.capabilities?.add ?? [])].sort(), ['NET_ADMIN', 'NET_RAW'], `${w.metadata.name}/${c.name}`);
      assert.notEqual(sc.privileged, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
    }
  }
});

/** Kubernetes memory quantity -> bytes (the suffixes these manifests use). */
function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  return Number(m[1]) * ({ Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] as 'Ki'] ?? 1);
}

/** Room for Node.js, one worker per lcore and the PACKET_MMAP rings beside the mempool (87 MB peak RSS with the pool, measured by test/k8s-netns). */
const BESIDE_POOL = 128 * 1024 ** 2;

test('Guaranteed QoS: CPU requests = limits in whole CPUs, memory requests = limits with room for the mempool', () => {
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      const { requests, limits } = c.resources;
      assert.deepEqual(requests, limits, `${w.metadata.name}/${c.name}`);
      assert.match(String(limits.cpu), /^[1-9]\d*$/, `${w.metadata.name}/${c.name}: whole CPUs, for the static CPU manager`);
      const argv = expandedArgs(c, configMaps);
      const eal = parseEal(splitAtDashDash(argv.slice(1))[0], argv[0]);
      // The default pool is sized from the ports and lcores; the DaemonSet sets it from the ConfigMap.
      const n = eal.mbufs ?? 8192;
      const pool = Mempool.create({ n, cacheSize: 256 }).buffer.byteLength;
      assert.ok(bytes(limits.memory) >= pool + BESIDE_POOL, `${w.metadata.name}: memory ${limits.memory} < mempool ${pool} B + ${BESIDE_POOL} B`);
    }
  }
  const ds = containersOf(find(manifests, 'DaemonSet', 'tsfwd-l2fwd'))[0];
  const argv = expandedArgs(ds, configMaps);
  const [ealArgs, appArgs] = splitAtDashDash(argv.slice(1));
  const eal = parseEal(ealArgs, 'l2fwd');
  const app = parseL2fwdOptions(appArgs, 'l2fwd', false);
  // With -l auto the lcores are the pod's CPUs: enough for the ports at -q per lcore.
  assert.ok(Number(ds.resources.limits.cpu) * app.rxPerLcore >= eal.vdevs.length, 'CPUs (= lcores) cover the ports');
});

const EXPECT: Record<string, { cmd: string; poll: string }> = {
  'tsfwd-l2fwd': { cmd: 'l2fwd', poll: 'adaptive' }, 'tsfwd-smoke-sink': { cmd: 'sink', poll: 'interrupt' }, 'tsfwd-smoke-pktgen': { cmd: 'pktgen', poll: 'adaptive' },
};

test('every tsfwd command line, with $(VAR)s expanded from the ConfigMap, parses with tsfwd\'s parsers and drivers; -l auto; ports are the Multus interfaces', () => {
  for (const w of workloads) {
    const t = podTemplate(w);
    const ifaces = multusNetworks(t).map((n) => n.interface);
    for (const c of t.spec.containers) {
      const argv = expandedArgs(c, configMaps);
      const [cmd, ...rest] = argv;
      assert.equal(cmd, EXPECT[w.metadata.name].cmd, w.metadata.name);
      const [ealArgs, appArgs] = splitAtDashDash(rest);
      const eal = parseEal(ealArgs, cmd, cmd === 'sink' ? 'interrupt' : cmd === 'pktgen' ? 'adaptive' : 'busy');
      assert.equal(eal.poll.mode, EXPECT[w.metadata.name].poll, `${w.metadata.name}: poll mode`);
      assert.ok(eal.autoNote, `${w.metadata.name}: -l auto`);
      assert.ok(eal.portWait >= 30, `${w.metadata.name}: --port-wait gives Multus time`);
      if (cmd === 'l2fwd') {
        const app = parseL2fwdOptions(appArgs, cmd, false);
        makePlan(eal.vdevs.map(() => 1), app.portmask, [0, 1], app.rxPerLcore, app.portmap);
        assert.deepEqual(app.metrics, { host: '0.0.0.0', port: 9100 });
      } else if (cmd === 'sink') {
        const o = parseSinkOptions(appArgs);
        assert.equal(o.json, true);
      } else {
        const o = parsePktgenOptions(appArgs);
        assert.ok(o.script, 'pktgen runs the ConfigMap\'s script');
      }
      const used = eal.vdevs.map((v) => {
        const { name, args } = parseDevargs(v);
        assert.match(name, /^net_af_packet\d+$/);
        for (const k of args.keys()) assert.ok(afPacket.keys.includes(k), `${w.metadata.name}: net_af_packet has no devarg '${k}'`);
        return args.get('iface');
      });
      assert.deepEqual(used, ifaces, `${w.metadata.name}: the ports are the pod's Multus interfaces, in order`);
    }
  }
  // And a typo is caught: the parsers are the ones tsfwd runs.
  assert.throws(() => parseEal(['-l', 'autoo'], 'l2fwd'));
  assert.throws(() => parseEal(['--port-wiat', '60'], 'l2fwd'));
});

test('Multus networks name the NetworkAttachmentDefinitions, whose configs are macvlan JSON', () => {
  const nads = objects.filter((o) => o.kind === 'NetworkAttachmentDefinition');
  assert.deepEqual(nads.map((n) => n.metadata.name).sort(), ['tsfwd-a', 'tsfwd-b']);
  for (const n of nads) {
    const cfg = JSON.parse((n.spec as { config: string }).config) as { name: string; type: string; master: string; mode: string; ipam: object };
    assert.equal(cfg.name, n.metadata.name);
    assert.equal(cfg.type, 'macvlan');
    assert.equal(cfg.mode, 'bridge');
    assert.match(cfg.master, /^\S{1,15}$/);
    assert.deepEqual(cfg.ipam, {});
  }
  const ds = podTemplate(find(manifests, 'DaemonSet', 'tsfwd-l2fwd'));
  assert.deepEqual(multusNetworks(ds), [{ name: 'tsfwd-a', interface: 'net1' }, { name: 'tsfwd-b', interface: 'net2' }]);
  // The smoke pair: the generator on the forwarder's first network, the sink on its second.
  assert.deepEqual(multusNetworks(podTemplate(find(manifests, 'Job', 'tsfwd-smoke-pktgen'))).map((n) => n.name), ['tsfwd-a']);
  assert.deepEqual(multusNetworks(podTemplate(find(manifests, 'Job', 'tsfwd-smoke-sink'))).map((n) => n.name), ['tsfwd-b']);
});

test('probes, metrics port, scrape annotations, Service and ServiceMonitor agree', () => {
  const t = podTemplate(find(manifests, 'DaemonSet', 'tsfwd-l2fwd'));
  const c = t.spec.containers[0];
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }]);
  assert.deepEqual(c.startupProbe?.httpGet, { path: '/healthz', port: 'metrics' });
  assert.deepEqual(c.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
  assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
  // The startup probe outlasts --port-wait: /healthz answers only once the ports are open.
  const sp = c.startupProbe as unknown as { periodSeconds: number; failureThreshold: number };
  const eal = parseEal(splitAtDashDash(expandedArgs(c, configMaps).slice(1))[0], 'l2fwd');
  assert.ok(sp.periodSeconds * sp.failureThreshold > eal.portWait, 'startup probe window > --port-wait');
  assert.deepEqual(t.metadata.annotations && [t.metadata.annotations['prometheus.io/scrape'], t.metadata.annotations['prometheus.io/port'], t.metadata.annotations['prometheus.io/path']],
    ['true', '9100', '/metrics']);
  const svc = find(manifests, 'Service', 'tsfwd-metrics');
  const spec = svc.spec as { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
  for (const [k, v] of Object.entries(spec.selector)) assert.equal(t.metadata.labels[k], v, 'Service selects the forwarder pods');
  assert.deepEqual(spec.ports.map((p) => [p.name, p.targetPort]), [['metrics', 'metrics']]);
  const sm = find(manifests, 'ServiceMonitor', 'tsfwd-l2fwd');
  const sms = sm.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[]; namespaceSelector: { matchNames: string[] } };
  for (const [k, v] of Object.entries(sms.selector.matchLabels)) assert.equal(svc.metadata.labels?.[k], v, 'ServiceMonitor selects the Service');
  assert.deepEqual(sms.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
  assert.deepEqual(sms.namespaceSelector.matchNames, ['tsfwd']);
});

test('the smoke script in the ConfigMap parses as a pktgen script, mounted where pktgen\'s -f reads it', () => {
  const cm = find(manifests, 'ConfigMap', 'tsfwd-config');
  const lines = parseScript(cm.data!['smoke.pkt'], 1);
  assert.ok(lines.some((l) => l.cmd.op === 'start'));
  const job = podTemplate(find(manifests, 'Job', 'tsfwd-smoke-pktgen'));
  const c = job.spec.containers[0];
  const argv = expandedArgs(c, configMaps);
  const script = argv[argv.indexOf('-f') + 1];
  const mount = c.volumeMounts!.find((m) => script.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `-f ${script} is under a volume mount`);
  const vol = job.spec.volumes!.find((v) => v.name === mount.name);
  assert.equal(vol?.configMap?.name, 'tsfwd-config');
  assert.deepEqual(vol?.configMap?.items, [{ key: 'smoke.pkt', path: path.posix.relative(mount.mountPath, script) }]);
  // The sink stops after exactly what the script sends.
  const count = Number(/^set 0 count (\d+)$/m.exec(cm.data!['smoke.pkt'])?.[1]);
  const sink = expandedArgs(podTemplate(find(manifests, 'Job', 'tsfwd-smoke-sink')).spec.containers[0], configMaps);
  assert.equal(Number(sink[sink.indexOf('--count') + 1]), count);
  assert.ok(fs.existsSync(path.join(K8S_DIR, 'smoke', 'kustomization.yaml')));
});
