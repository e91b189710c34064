// Partitioner: splits a graph between backends by op support.
//
// Input: the graph and an ordered preference list of backends, each given
// by its name and a Supports(node) answer; the last entry is the CPU, which
// takes every node (a node the CPU cannot run either is reported by the
// runtime when it prepares the node).
//
// Output: partitions in an execution order that respects every data
// dependency (no cycle between partitions), each assigned to one backend;
// the nodes each non-first backend took with the reasons the better ones
// refused them; and the boundary tensors that cross partitions.
//
// Algorithm: every node is assigned to the first backend that supports it.
// Nodes are then ordered by a topological sort that keeps extending the
// current partition with ready nodes of the same backend before switching,
// so independent branches do not fragment partitions. Delegated partitions
// smaller than min_nodes_per_partition, and all but the largest
// max_delegated_partitions, are handed to the next backend that supports
// their nodes; this repeats until the plan is stable. Pure and
// deterministic: the same graph and answers give the same plan.
//
// Thread-safety: pure function.
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
  std::function<NodeSupport(const GraphView& graph, int node)> supports;
};

struct PartitionOptions {
  int max_delegated_partitions = 0;  // 0 = no limit; keep the largest
  int min_nodes_per_partition = 1;
};

struct Partition {
  int backend = 0;         // index into PartitionPlan::backends
  std::vector<int> nodes;  // in execution order
  std::vector<int> inputs;   // non-constant tensors read, produced elsewhere
  std::vector<int> outputs;  // tensors produced here and read elsewhere or
                             // graph outputs
};

struct NodeFallback {
  int node = 0;
  std::string op;
  int backend = 0;  // where it runs
  // (backend name, reason) for each preferred backend that refused it.
  std::vector<std::pair<std::string, std::string>> refusals;
};

struct PartitionPlan {
  std::vector<std::string> backends;  // the preference list, CPU last
  std::vector<Partition> partitions;  // execution order
  std::vector<NodeFallback> fallbacks;
  std::vector<int> boundary_tensors;  // cross a partition boundary
  // The node execution order the partitions imply.
  std::vector<int> ExecutionOrder() const;
  // Human-readable plan, as `edgerun inspect --backends` prints it.
  std::string ToString(const GraphView& graph) const;
};

// Errors: kInvalidArgument for an empty backend list.
StatusOr<PartitionPlan> PartitionGraph(const GraphView& graph,
                                       const std::vector<BackendCandidate>& backends,
                                       const PartitionOptions& options = {});

}  // namespace edgerun::planner

#endif  // EDGERUN_PLANNER_PARTITIONER_H_
