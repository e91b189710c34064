#include "planner/partitioner.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

namespace edgerun::planner {
namespace {

// Dataflow of the graph: who writes and who reads each tensor, and the
// node-to-node dependencies that follow.
struct Dataflow {
  std::vector<int> producer;                // per tensor; -1 = none
  std::vector<std::vector<int>> consumers;  // per tensor, ascending, unique
  std::vector<std::vector<int>> preds;      // per node, ascending, unique
  std::vector<std::vector<int>> succs;      // per node, ascending, unique
  std::vector<bool> is_graph_output;        // per tensor
};

void SortUnique(std::vector<int>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

StatusOr<Dataflow> BuildDataflow(const GraphView& graph) {
  const int num_tensors = graph.num_tensors();
  const int num_nodes = graph.num_nodes();
  Dataflow df;
  df.producer.assign(num_tensors, -1);
  df.consumers.resize(num_tensors);
  df.preds.resize(num_nodes);
  df.succs.resize(num_nodes);
  df.is_graph_output.assign(num_tensors, false);

  auto check = [&](int t, int node, const char* what) -> Status {
    if (t < -1 || t >= num_tensors) {
      return InvalidArgumentError(
          "node " + std::to_string(node) + " (" + graph.node(node).op_name +
          "): " + what + " tensor " + std::to_string(t) + " out of range [0, " +
          std::to_string(num_tensors) + ")");
    }
    return OkStatus();
  };
  for (int n = 0; n < num_nodes; ++n) {
    for (int t : graph.node_outputs(n)) {
      RETURN_IF_ERROR(check(t, n, "output"));
      if (t < 0) continue;
      if (df.producer[t] >= 0) {
        return InvalidArgumentError(
            "node " + std::to_string(n) + " (" + graph.node(n).op_name +
            "): tensor " + std::to_string(t) + " is already written by node " +
            std::to_string(df.producer[t]));
      }
      df.producer[t] = n;
    }
  }
  // Variable tensors without a producer are state that several nodes may
  // read and write in place; keep those nodes in model order.
  std::vector<int> last_variable_user(num_tensors, -1);
  for (int n = 0; n < num_nodes; ++n) {
    for (int t : graph.node_inputs(n)) {
      RETURN_IF_ERROR(check(t, n, "input"));
      if (t < 0) continue;
      df.consumers[t].push_back(n);
      if (df.producer[t] >= 0) {
        if (df.producer[t] == n) {
          return InvalidArgumentError(
              "node " + std::to_string(n) + " (" + graph.node(n).op_name +
              "): reads its own output tensor " + std::to_string(t));
        }
        df.preds[n].push_back(df.producer[t]);
      } else if (graph.tensor(t).is_variable) {
        if (last_variable_user[t] >= 0 && last_variable_user[t] != n) {
          df.preds[n].push_back(last_variable_user[t]);
        }
        last_variable_user[t] = n;
      }
    }
  }
  for (int t : graph.graph_outputs()) {
    if (t >= 0 && t < num_tensors) df.is_graph_output[t] = true;
  }
  for (int t = 0; t < num_tensors; ++t) SortUnique(df.consumers[t]);
  for (int n = 0; n < num_nodes; ++n) {
    SortUnique(df.preds[n]);
    for (int p : df.preds[n]) df.succs[p].push_back(n);
  }
  // succs are filled in ascending n, so they are already sorted and unique.
  return df;
}

// Where a node runs and why the backends before it did not take it.
struct Assignment {
  int backend = 0;
  std::vector<std::pair<int, std::string>> refusals;  // (backend, reason)
  bool unsupported = false;
};

// Asks the candidates lazily and remembers every answer, so each callback
// runs at most once per (node, backend).
class SupportOracle {
 public:
  SupportOracle(const GraphView& graph,
                const std::vector<BackendCandidate>& backends)
      : graph_(graph),
        backends_(backends),
        answers_(graph.num_nodes(),
                 std::vector<std::optional<NodeSupport>>(backends.size())) {}

  const NodeSupport& Ask(int node, int backend) {
    std::optional<NodeSupport>& slot = answers_[node][backend];
    if (!slot.has_value()) {
      const auto& fn = backends_[backend].supports;
      slot = fn ? fn(graph_, node) : NodeSupport::Yes();
      if (!slot->supported && slot->reason.empty()) {
        slot->reason = "not supported";  // never print an empty reason
      }
    }
    return *slot;
  }

  // Puts `node` on the first backend from `first` on that supports it; the
  // last backend takes it regardless.
  void AssignFrom(int node, int first, Assignment& a) {
    const int last = static_cast<int>(backends_.size()) - 1;
    for (int b = first; b <= last; ++b) {
      const NodeSupport& s = Ask(node, b);
      if (s.supported) {
        a.backend = b;
        return;
      }
      a.refusals.emplace_back(b, s.reason);
    }
    a.backend = last;
    a.unsupported = true;
  }

 private:
  const GraphView& graph_;
  const std::vector<BackendCandidate>& backends_;
  std::vector<std::vector<std::optional<NodeSupport>>> answers_;
};

// Step 2 of the header: topological sort with backend affinity. Returns
// the partitions (nodes only) in execution order.
StatusOr<std::vector<Partition>> AffinitySort(
    const GraphView& graph, const Dataflow& df,
    const std::vector<Assignment>& assignment, int num_backends) {
  const int num_nodes = graph.num_nodes();
  using MinHeap = std::priority_queue<int, std::vector<int>, std::greater<>>;
  std::vector<MinHeap> ready(num_backends);
  std::vector<int> indegree(num_nodes);
  for (int n = 0; n < num_nodes; ++n) {
    indegree[n] = static_cast<int>(df.preds[n].size());
    if (indegree[n] == 0) ready[assignment[n].backend].push(n);
  }
  std::vector<Partition> partitions;
  int current = -1;
  for (int done = 0; done < num_nodes; ++done) {
    if (current < 0 || ready[current].empty()) {
      // Switch to the backend of the lowest-index ready node: it follows the
      // model's own order when nothing better is known.
      int best = -1;
      for (int b = 0; b < num_backends; ++b) {
        if (!ready[b].empty() &&
            (best < 0 || ready[b].top() < ready[best].top())) {
          best = b;
        }
      }
      if (best < 0) {
        return InvalidArgumentError("graph has a dependency cycle: " +
                                    std::to_string(num_nodes - done) +
                                    " nodes never become ready");
      }
      current = best;
      partitions.emplace_back();
      partitions.back().backend = current;
    }
    const int n = ready[current].top();
    ready[current].pop();
    partitions.back().nodes.push_back(n);
    for (int s : df.succs[n]) {
      if (--indegree[s] == 0) ready[assignment[s].backend].push(s);
    }
  }
  return partitions;
}

// Step 3 of the header: demotes the partitions of the most preferred
// delegated backend that breaks a limit. Returns false when every limit
// holds (the plan is stable).
bool DemoteOneBackend(const std::vector<Partition>& partitions,
                      const PartitionOptions& options, int num_backends,
                      SupportOracle& oracle,
                      std::vector<Assignment>& assignment) {
  for (int b = 0; b + 1 < num_backends; ++b) {
    std::vector<int> mine;  // indices into partitions, execution order
    for (int p = 0; p < static_cast<int>(partitions.size()); ++p) {
      if (partitions[p].backend == b) mine.push_back(p);
    }
    // (partition index, reason) to hand to the next backend.
    std::vector<std::pair<int, std::string>> demote;
    if (options.min_nodes_per_partition > 1) {
      for (int p : mine) {
        const size_t size = partitions[p].nodes.size();
        if (size < static_cast<size_t>(options.min_nodes_per_partition)) {
          demote.emplace_back(
              p, "partition of " + std::to_string(size) +
                     (size == 1 ? " node" : " nodes") +
                     " is below min_nodes_per_partition (" +
                     std::to_string(options.min_nodes_per_partition) + ")");
        }
      }
    }
    // Limit the count only once every small partition is gone: dropping
    // those may merge others, so counting now could drop too much.
    if (demote.empty() && options.max_delegated_partitions > 0 &&
        static_cast<int>(mine.size()) > options.max_delegated_partitions) {
      std::vector<int> ranked = mine;
      std::stable_sort(ranked.begin(), ranked.end(), [&](int x, int y) {
        return partitions[x].nodes.size() > partitions[y].nodes.size();
      });
      for (size_t i = options.max_delegated_partitions; i < ranked.size();
           ++i) {
        const size_t size = partitions[ranked[i]].nodes.size();
        demote.emplace_back(
            ranked[i], "partition of " + std::to_string(size) +
                           (size == 1 ? " node" : " nodes") +
                           " is not among the " +
                           std::to_string(options.max_delegated_partitions) +
                           " largest (max_delegated_partitions)");
      }
    }
    if (demote.empty()) continue;
    for (const auto& [p, reason] : demote) {
      for (int n : partitions[p].nodes) {
        Assignment& a = assignment[n];
        a.refusals.emplace_back(b, reason);
        oracle.AssignFrom(n, b + 1, a);
      }
    }
    return true;
  }
  return false;
}

// Fills inputs/outputs of every partition and the plan's boundary tensors.
void ComputeBoundaries(const GraphView& graph, const Dataflow& df,
                       PartitionPlan& plan) {
  std::vector<int> partition_of(graph.num_nodes(), -1);
  for (int p = 0; p < static_cast<int>(plan.partitions.size()); ++p) {
    for (int n : plan.partitions[p].nodes) partition_of[n] = p;
  }
  for (int p = 0; p < static_cast<int>(plan.partitions.size()); ++p) {
    Partition& part = plan.partitions[p];
    for (int n : part.nodes) {
      for (int t : graph.node_inputs(n)) {
        if (t < 0 || graph.tensor(t).is_constant) continue;
        const int producer = df.producer[t];
        if (producer >= 0 && partition_of[producer] == p) continue;
        part.inputs.push_back(t);
      }
      for (int t : graph.node_outputs(n)) {
        if (t < 0) continue;
        bool crosses = false;
        for (int c : df.consumers[t]) crosses |= partition_of[c] != p;
        if (crosses) plan.boundary_tensors.push_back(t);
        if (crosses || df.is_graph_output[t]) part.outputs.push_back(t);
      }
    }
    SortUnique(part.inputs);
    SortUnique(part.outputs);
  }
  SortUnique(plan.boundary_tensors);
}

// "0-3, 5, 7-9" for sorted node lists; any order is printed as given.
std::string NodeRanges(const std::vector<int>& nodes) {
  std::string s;
  for (size_t i = 0; i < nodes.size();) {
    size_t j = i;
    while (j + 1 < nodes.size() && nodes[j + 1] == nodes[j] + 1) ++j;
    if (!s.empty()) s += ", ";
    s += std::to_string(nodes[i]);
    if (j > i) s += "-" + std::to_string(nodes[j]);
    i = j + 1;
  }
  return s;
}

std::string TensorList(const std::vector<int>& tensors) {
  if (tensors.empty()) return "-";
  std::string s;
  for (int t : tensors) {
    if (!s.empty()) s += ", ";
    s += "t" + std::to_string(t);
  }
  return s;
}

}  // namespace

StatusOr<PartitionPlan> PartitionGraph(
    const GraphView& graph, const std::vector<BackendCandidate>& backends,
    const PartitionOptions& options) {
  if (backends.empty()) {
    return InvalidArgumentError("partitioner: empty backend list");
  }
  if (options.max_delegated_partitions < 0) {
    return InvalidArgumentError(
        "partitioner: max_delegated_partitions must be >= 0, got " +
        std::to_string(options.max_delegated_partitions));
  }
  if (options.min_nodes_per_partition < 0) {
    return InvalidArgumentError(
        "partitioner: min_nodes_per_partition must be >= 0, got " +
        std::to_string(options.min_nodes_per_partition));
  }
  ASSIGN_OR_RETURN(const Dataflow df, BuildDataflow(graph));
  const int num_backends = static_cast<int>(backends.size());
  const int num_nodes = graph.num_nodes();

  SupportOracle oracle(graph, backends);
  std::vector<Assignment> assignment(num_nodes);
  for (int n = 0; n < num_nodes; ++n) oracle.AssignFrom(n, 0, assignment[n]);

  std::vector<Partition> partitions;
  // Each round moves at least one node to a later backend.
  for (;;) {
    ASSIGN_OR_RETURN(partitions,
                     AffinitySort(graph, df, assignment, num_backends));
    if (!DemoteOneBackend(partitions, options, num_backends, oracle,
                          assignment)) {
      break;
    }
  }

  PartitionPlan plan;
  for (const BackendCandidate& b : backends) plan.backends.push_back(b.name);
  plan.partitions = std::move(partitions);
  ComputeBoundaries(graph, df, plan);
  for (int n = 0; n < num_nodes; ++n) {
    const Assignment& a = assignment[n];
    if (a.refusals.empty()) continue;
    NodeFallback f;
    f.node = n;
    f.op = graph.node(n).op_name;
    f.backend = a.backend;
    f.unsupported = a.unsupported;
    for (const auto& [b, reason] : a.refusals) {
      f.refusals.emplace_back(backends[b].name, reason);
    }
    plan.fallbacks.push_back(std::move(f));
  }
  return plan;
}

std::vector<int> PartitionPlan::ExecutionOrder() const {
  std::vector<int> order;
  for (const Partition& p : partitions) {
    order.insert(order.end(), p.nodes.begin(), p.nodes.end());
  }
  return order;
}

std::string PartitionPlan::ToString(const GraphView& graph) const {
  auto backend_name = [&](int b) -> std::string {
    return b >= 0 && b < static_cast<int>(backends.size()) ? backends[b] : "?";
  };
  std::string s = "backends:";
  for (size_t i = 0; i < backends.size(); ++i) {
    s += (i ? ", " : " ") + backends[i];
  }
  int delegated = 0;
  for (const Partition& p : partitions) {
    delegated += p.backend + 1 < static_cast<int>(backends.size());
  }
  s += "\npartitions: " + std::to_string(partitions.size()) + " (" +
       std::to_string(delegated) + " delegated)\n";
  for (size_t i = 0; i < partitions.size(); ++i) {
    const Partition& p = partitions[i];
    // Op histogram in order of first appearance.
    std::vector<std::pair<std::string, int>> ops;
    for (int n : p.nodes) {
      const std::string& op = graph.node(n).op_name;
      auto it = std::find_if(ops.begin(), ops.end(),
                             [&](const auto& e) { return e.first == op; });
      if (it == ops.end()) {
        ops.emplace_back(op, 1);
      } else {
        ++it->second;
      }
    }
    std::string hist;
    for (const auto& [op, count] : ops) {
      if (!hist.empty()) hist += ", ";
      hist += op;
      if (count > 1) hist += " x" + std::to_string(count);
    }
    s += "  [" + std::to_string(i) + "] " + backend_name(p.backend) + ": " +
         std::to_string(p.nodes.size()) +
         (p.nodes.size() == 1 ? " node (" : " nodes (") + hist + ")\n";
    s += "      nodes " + NodeRanges(p.nodes) + "; inputs " +
         TensorList(p.inputs) + "; outputs " + TensorList(p.outputs) + "\n";
  }
  s += "fallbacks: " + std::to_string(fallbacks.size()) + "\n";
  for (const NodeFallback& f : fallbacks) {
    s += "  node " + std::to_string(f.node) + " " + f.op + " -> " +
         backend_name(f.backend);
    if (f.unsupported) s += " (supported by no backend)";
    s += "\n";
    for (const auto& [backend, reason] : f.refusals) {
      s += "      " + backend + ": " + reason + "\n";
    }
  }
  s += "boundary tensors: " + TensorList(boundary_tensors) + "\n";
  return s;
}

}  // namespace edgerun::planner
