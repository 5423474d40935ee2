/**
 * Stage 5, plan the fleet: the selected CTIDs' container, host and vLLM plans and the GPU budget, as one FleetPlan (plan/model.ts), the only input of emit/.
 */
import type { Container, PhoenixLxcConfigs } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';
import { canonical } from '../util/canonical';
import { clusterNodes, isCluster, nodeOf } from './cluster';
import { clusterGpuBudget, gpuBudget, hostGpus } from './gpus';
import { planHost } from './host';
import type { ContainerPlan, FleetPlan, SourceInfo } from './model';
import { fleetOrder } from './order';
import { planVllm, planVllmInstall } from './vllm';

/**
 * @param all every resolved CTID (clone sources outside the selection included)
 * @param selected the CTIDs to plan, in the order given
 */
export function planFleet(
  doc: PhoenixLxcConfigs,
  all: ReadonlyMap<string, ResolvedContainer>,
  selected: readonly string[],
  source: SourceInfo,
  compiler: FleetPlan['compiler'],
): FleetPlan {
  const order = fleetOrder(all);
  const containers: ContainerPlan[] = [];
  for (const ctid of selected) {
    const r = all.get(ctid)!;
    const vllm = planVllm(doc, r);
    const node = nodeOf(doc, ctid);
    containers.push({
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
    });
  }
  const host = hostGpus(doc);
  const claims = containers.map((c) => ({
    ctid: c.ctid,
    ...(c.node !== undefined ? { node: c.node } : {}),
    name: c.name,
    gpus: c.host.gpus,
    startAtBoot: c.host.startAtBoot,
    ...(c.vllm ? { util: c.vllm.gpuMemoryUtilization } : {}),
  }));
  const chosen = new Set(selected);
  const createOrder = order.createOrder.filter((id) => chosen.has(id));
  if (!isCluster(doc)) return { compiler, source, containers, createOrder, notices: [], hostGpus: host, gpuBudget: gpuBudget(claims, host) };
  // A cluster: each node's GPUs have their own budget.
  const budget = clusterGpuBudget(claims, (node) => hostGpus(doc, node));
  return { compiler, source, containers, createOrder, notices: [], hostGpus: host, gpuBudget: budget, cluster: { nodes: clusterNodes(doc) } };
}
