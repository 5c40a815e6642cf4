// deploy/kubernetes/ read as data for the k8s tests: every YAML document, and
// a container's argv as the kubelet would hand it to tsfwd (the $(VAR)
// references in args expanded from env entries that name ConfigMap keys).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const K8S_DIR = path.resolve(__dirname, '..', '..', '..', 'deploy', 'kubernetes');

// Just what the tests read; the schemas check the rest.
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [k: string]: unknown;
}
export interface EnvVar { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }
export interface Container {
  name: string;
  args: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { capabilities?: { drop?: string[]; add?: string[] }; privileged?: boolean; allowPrivilegeEscalation?: boolean; runAsUser?: number };
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: Probe; livenessProbe?: Probe; readinessProbe?: Probe;
}
export interface Probe { httpGet: { path: string; port: string | number } }
export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; hostNetwork?: boolean; volumes?: { name: string; configMap?: { name: string; items?: { key: string; path: string }[] } }[] };
}

/** Every YAML file under deploy/kubernetes/, relative path -> its documents (each parse error thrown). */
export function loadManifests(): Map<string, K8sObject[]> {
  const out = new Map<string, K8sObject[]>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) {
        const docs = parseAllDocuments(fs.readFileSync(p, 'utf8'), { prettyErrors: false });
        out.set(path.relative(K8S_DIR, p), docs.map((d) => {
          if (d.errors.length > 0) throw new Error(`${path.relative(K8S_DIR, p)}: ${d.errors[0].message}`);
          return d.toJS() as K8sObject;
        }));
      }
    }
  };
  walk(K8S_DIR);
  return out;
}

export function allObjects(m: Map<string, K8sObject[]>): K8sObject[] {
  return [...m.values()].flat().filter((o) => o.kind !== 'Kustomization');
}

export function find(m: Map<string, K8sObject[]>, kind: string, name: string): K8sObject {
  const o = allObjects(m).find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return o;
}

export function podTemplate(o: K8sObject): PodTemplate {
  return (o.spec as { template: PodTemplate }).template;
}

/**
 * The container's args with $(VAR) expanded as the kubelet does: from its env
 * (value, or a ConfigMap key). An unknown $(VAR) stays as written there; here it throws.
 */
export function expandedArgs(c: Container, configMaps: readonly K8sObject[]): string[] {
  const env = new Map<string, string>();
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref) {
      const v = configMaps.find((cm) => cm.metadata.name === ref.name)?.data?.[ref.key];
      if (v === undefined) throw new Error(`${c.name}: env ${e.name} names ConfigMap key ${ref.name}/${ref.key}, which does not exist`);
      env.set(e.name, v);
    } else if (e.value !== undefined) env.set(e.name, e.value);
  }
  return c.args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, k: string) => {
    const v = env.get(k);
    if (v === undefined) throw new Error(`${c.name}: args use $(${k}), which its env does not define`);
    return v;
  }));
}

/** The Multus networks annotation of a pod template: [{name, interface}]. */
export function multusNetworks(t: PodTemplate): { name: string; interface: string }[] {
  const a = t.metadata.annotations?.['k8s.v1.cni.cncf.io/networks'];
  if (a === undefined) throw new Error('pod template has no k8s.v1.cni.cncf.io/networks annotation');
  return JSON.parse(a) as { name: string; interface: string }[];
}
