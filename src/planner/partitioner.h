// Partitioner: splits a graph between backends by op support.
//
// Input: the graph and an ordered preference list of backends, each given
// by its name and a Supports(node) answer; the last entry is the CPU, which
// takes every node (a node the CPU cannot run either is reported by the
// runtime when it prepares the node; the plan marks it `unsupported`).
//
// Output: partitions in an execution order that respects every data
// dependency (no cycle between partitions), each assigned to one backend;
// the nodes each non-first backend took with the reasons the better ones
// refused them; and the boundary tensors that cross partitions.
//
// Algorithm:
//  1. Every node is assigned to the first backend that supports it.
//  2. Nodes are ordered by a topological sort (Kahn) that keeps extending
//     the current partition with ready nodes of the same backend before
//     switching, so independent branches do not fragment partitions. When
//     no ready node of the current backend is left, the partition closes
//     and the next one takes the backend of the lowest-index ready node.
//     Partitions are runs of this order, so the partitions' order is a
//     topological order and no partition depends on a later one. The
//     model's operator order is one topological order, but nodes may move
//     (e.g. A->B->C with A, C delegated and B on the CPU gives three
//     partitions; a contiguous grouping by backend alone would put A and C
//     together and create a cycle). Nodes that share a variable tensor
//     (state updated in place, no producer) keep their model order.
//  3. For the most preferred delegated backend whose partitions break a
//     limit: partitions smaller than min_nodes_per_partition, or else all
//     but its largest max_delegated_partitions (by node count; ties keep the
//     earlier partition), are handed node by node to the NEXT backend in the
//     list that supports them (not straight to the CPU). Steps 2-3 repeat
//     until the plan is stable; every round moves a node to a later backend,
//     so this ends after at most num_nodes * num_backends rounds.
//
// Limits apply per delegated backend (as TFLite's per-delegate
// max_delegated_partitions); the last backend (CPU) has none.
//
// Pure and deterministic: the same graph and answers give the same plan.
// Each Supports answer is asked at most once per (node, backend).
//
// Thread-safety: pure function; `supports` callbacks are called on the
// calling thread only.
#ifndef EDGERUN_PLANNER_PARTITIONER_H_
#define EDGERUN_PLANNER_PARTITIONER_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/base/status.h"
#include "planner/graph_view.h"

namespace edgerun::planner {

struct NodeSupport {
  bool supported = false;
  std::string reason;  // why not (empty when supported)
  static NodeSupport Yes() { return {true, {}}; }
  static NodeSupport No(std::string why) { return {false, std::move(why)}; }
};

struct BackendCandidate {
  std::string name;
  // An empty function means "supports every node".
  std::function<NodeSupport(const GraphView& graph, int node)> supports;
};

struct PartitionOptions {
  // Per delegated backend; 0 = no limit. The largest partitions are kept.
  int max_delegated_partitions = 0;
  // Delegated partitions with fewer nodes go to the next backend; <= 1 = no
  // limit.
  int min_nodes_per_partition = 1;
};

struct Partition {
  int backend = 0;           // index into PartitionPlan::backends
  std::vector<int> nodes;    // in execution order
  std::vector<int> inputs;   // non-constant tensors read and produced
                             // elsewhere (graph inputs, variables
                             // included); ascending
  std::vector<int> outputs;  // tensors produced here and read by another
                             // partition, or graph outputs; ascending
};

struct NodeFallback {
  int node = 0;
  std::string op;
  int backend = 0;  // where it runs
  // (backend name, reason) for each preferred backend that refused it, in
  // preference order. A backend that supports the node but dropped its
  // partition (min_nodes_per_partition, max_delegated_partitions) gives
  // that as the reason. When even the backend it runs on refused it, that
  // backend's refusal is last and `unsupported` is true.
  std::vector<std::pair<std::string, std::string>> refusals;
  bool unsupported = false;  // no backend in the list supports the node
};

struct PartitionPlan {
  std::vector<std::string> backends;  // the preference list, CPU last
  std::vector<Partition> partitions;  // execution order
  // Every node not on its first-choice backend, and every node its own
  // backend refused; ascending node index.
  std::vector<NodeFallback> fallbacks;
  // Tensors produced in one partition and read in another; ascending.
  std::vector<int> boundary_tensors;
  // The node execution order the partitions imply.
  std::vector<int> ExecutionOrder() const;
  // Human-readable plan, as `edgerun inspect --backends` prints it.
  std::string ToString(const GraphView& graph) const;
};

// Errors: kInvalidArgument for an empty backend list, negative options, or
// a malformed graph (tensor index out of range, a tensor written twice, a
// dependency cycle).
StatusOr<PartitionPlan> PartitionGraph(
    const GraphView& graph, const std::vector<BackendCandidate>& backends,
    const PartitionOptions& options = {});

}  // namespace edgerun::planner

#endif  // EDGERUN_PLANNER_PARTITIONER_H_
