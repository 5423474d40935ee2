/**
 * Stage 5, plan the fleet: the selected CTIDs' container, host and vLLM plans and the GPU budget, as one FleetPlan (plan/model.ts), the only input of emit/.
 */
import type { Container, PhoenixLxcConfigs } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';
import { canonical } from '../util/canonical';
import { clusterNodes, isCluster, nodeOf } from './cluster';
import { clusterGpuBudget, GpuClaim, gpuBudget, hostGpus } from './gpus';
import { planHost } from './host';
import type { ContainerPlan, ContainerSummary, FleetHeader, FleetPlan, SourceInfo } from './model';
import { fleetOrder } from './order';
import { planVllm, planVllmInstall } from './vllm';
import { forgetSettings } from '../vllm/settings';

/**
 * Plans a fleet one container at a time: `planContainer` for each of `ids` (any order, each once),
 * then `fleet` with what is kept of them (the whole plans, or their summaries) and their GPU
 * claims; `header` is what every file's header names (compiler/compile.ts emitFiles).
 * @param all every resolved CTID (clone sources outside the selection included)
 * @param selected the CTIDs to plan
 */
export function fleetPlanner(
  doc: PhoenixLxcConfigs,
  all: ReadonlyMap<string, ResolvedContainer>,
  selected: readonly string[],
  source: SourceInfo,
  compiler: FleetPlan['compiler'],
): {
  ids: readonly string[];
  header: FleetHeader;
  /** The container's whole plan; `last`: no later call plans it again (what the checks kept for it can go). */
  planContainer(ctid: string, last?: boolean): ContainerPlan;
  fleet<C extends ContainerSummary>(containers: C[], claims: readonly GpuClaim[]): FleetPlan<C>;
} {
  const order = fleetOrder(all);
  return {
    ids: selected,
    header: { compiler, source },
    planContainer(ctid, last = false) {
      const r = all.get(ctid)!;
      const vllm = planVllm(doc, r);
      if (last) forgetSettings(r);
      const node = nodeOf(doc, ctid);
      return {
        ctid,
        name: r.effective.name,
        ...(node !== undefined ? { node } : {}),
        effective: canonical(r.effective) as Container,
        chain: r.chain,
        host: planHost(doc, all, r, order),
        needs: order.needs.get(ctid) ?? [],
        origin: r.origin,
        featureOrigin: r.featureOrigin,
        ...(vllm ? { vllm } : {}),
        ...((r.own.features ?? []).includes('vllm') ? { vllmInstall: planVllmInstall(r.effective) } : {}),
      };
    },
    fleet(containers, claims) {
      const host = hostGpus(doc);
      const chosen = new Set(selected);
      const createOrder = order.createOrder.filter((id) => chosen.has(id));
      if (!isCluster(doc)) return { compiler, source, containers, createOrder, notices: [], hostGpus: host, gpuBudget: gpuBudget(claims, host) };
      // A cluster: each node's GPUs have their own budget.
      const budget = clusterGpuBudget(claims, (node) => hostGpus(doc, node));
      return { compiler, source, containers, createOrder, notices: [], hostGpus: host, gpuBudget: budget, cluster: { nodes: clusterNodes(doc) } };
    },
  };
}

/** What a container claims of the host's GPUs (plan/gpus.ts). */
export function gpuClaim(c: ContainerPlan): GpuClaim {
  return {
    ctid: c.ctid,
    ...(c.node !== undefined ? { node: c.node } : {}),
    name: c.name,
    gpus: c.host.gpus,
    startAtBoot: c.host.startAtBoot,
    ...(c.vllm ? { util: c.vllm.gpuMemoryUtilization } : {}),
  };
}

/** What the fleet-wide files read of a container (a copy: the rest of its plan can go). */
export function summarize(c: ContainerPlan): ContainerSummary {
  const h = c.host;
  const v = c.vllm;
  return {
    ctid: c.ctid,
    name: c.name,
    ...(c.node !== undefined ? { node: c.node } : {}),
    needs: c.needs,
    host: {
      define: h.define,
      dependencies: h.dependencies,
      app: h.app,
      features: h.features.map((f) => ({ name: f.name })),
      ...(h.snapshot !== undefined ? { snapshot: h.snapshot } : {}),
      ...(h.ipCidr !== undefined ? { ipCidr: h.ipCidr } : {}),
      ...(h.mac !== undefined ? { mac: h.mac } : {}),
    },
    ...(v
      ? {
          vllm: {
            port: v.port,
            servedModelName: v.servedModelName,
            ...(v.quantization !== undefined ? { quantization: v.quantization } : {}),
            ...(v.kvCacheDtype !== undefined ? { kvCacheDtype: v.kvCacheDtype } : {}),
          },
        }
      : {}),
  };
}
