#include "planner/partitioner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "planner/fake_graph.h"

namespace edgerun::planner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// A backend that supports exactly the ops in `ops`.
BackendCandidate Accepts(std::string name, std::set<std::string> ops) {
  return {name, [name, ops](const GraphView& g, int node) {
            const std::string& op = g.node(node).op_name;
            if (ops.count(op)) return NodeSupport::Yes();
            return NodeSupport::No(name + " has no " + op);
          }};
}

// The CPU: takes everything (empty callback).
BackendCandidate Cpu() { return {"cpu", nullptr}; }

// Every structural property a plan must have, whatever the graph and
// answers. Returns a description of the first violation, or "".
std::string CheckPlan(const GraphView& g, const PartitionPlan& plan,
                      const std::vector<BackendCandidate>& backends) {
  const int num_nodes = g.num_nodes();
  std::vector<int> partition_of(num_nodes, -1);
  for (int p = 0; p < static_cast<int>(plan.partitions.size()); ++p) {
    const Partition& part = plan.partitions[p];
    if (part.nodes.empty()) return "empty partition " + std::to_string(p);
    if (part.backend < 0 || part.backend >= static_cast<int>(backends.size()))
      return "bad backend in partition " + std::to_string(p);
    if (p > 0 && plan.partitions[p - 1].backend == part.backend)
      return "adjacent partitions share a backend at " + std::to_string(p);
    for (int n : part.nodes) {
      if (n < 0 || n >= num_nodes) return "bad node " + std::to_string(n);
      if (partition_of[n] >= 0) return "node twice: " + std::to_string(n);
      partition_of[n] = p;
    }
  }
  for (int n = 0; n < num_nodes; ++n) {
    if (partition_of[n] < 0) return "node missing: " + std::to_string(n);
  }
  std::vector<int> producer(g.num_tensors(), -1);
  for (int n = 0; n < num_nodes; ++n) {
    for (int t : g.node_outputs(n)) producer[t] = n;
  }
  // Execution order is topological: every producer runs first.
  const std::vector<int> order = plan.ExecutionOrder();
  if (static_cast<int>(order.size()) != num_nodes) return "order size";
  std::vector<int> position(num_nodes);
  for (int i = 0; i < num_nodes; ++i) position[order[i]] = i;
  const std::set<int> graph_inputs(g.graph_inputs().begin(),
                                   g.graph_inputs().end());
  const std::set<int> graph_outputs(g.graph_outputs().begin(),
                                    g.graph_outputs().end());
  for (int n = 0; n < num_nodes; ++n) {
    for (int t : g.node_inputs(n)) {
      if (t < 0 || producer[t] < 0) continue;
      if (position[producer[t]] >= position[n])
        return "node " + std::to_string(n) + " runs before its producer";
      if (partition_of[producer[t]] > partition_of[n])
        return "partition depends on a later one at node " + std::to_string(n);
    }
  }
  for (int p = 0; p < static_cast<int>(plan.partitions.size()); ++p) {
    const Partition& part = plan.partitions[p];
    // Inputs: exactly the non-constant tensors read and not produced here;
    // each produced earlier, or a graph input / variable / unproduced.
    std::set<int> expected_in, expected_out;
    for (int n : part.nodes) {
      for (int t : g.node_inputs(n)) {
        if (t < 0 || g.tensor(t).is_constant) continue;
        if (producer[t] >= 0 && partition_of[producer[t]] == p) continue;
        expected_in.insert(t);
      }
      for (int t : g.node_outputs(n)) {
        bool read_elsewhere = false;
        for (int m = 0; m < num_nodes; ++m) {
          if (partition_of[m] == p) continue;
          for (int u : g.node_inputs(m)) read_elsewhere |= u == t;
        }
        if (read_elsewhere || graph_outputs.count(t)) expected_out.insert(t);
      }
    }
    for (int t : part.inputs) {
      if (producer[t] >= 0 && partition_of[producer[t]] >= p)
        return "input t" + std::to_string(t) + " of partition " +
               std::to_string(p) + " is not produced earlier";
      if (producer[t] < 0 && !graph_inputs.count(t) && !g.tensor(t).is_variable)
        return "input t" + std::to_string(t) + " comes from nowhere";
    }
    if (std::vector<int>(expected_in.begin(), expected_in.end()) != part.inputs)
      return "inputs of partition " + std::to_string(p);
    if (std::vector<int>(expected_out.begin(), expected_out.end()) !=
        part.outputs)
      return "outputs of partition " + std::to_string(p);
    if (!std::is_sorted(part.inputs.begin(), part.inputs.end()) ||
        !std::is_sorted(part.outputs.begin(), part.outputs.end()))
      return "unsorted inputs/outputs";
  }
  // Fallbacks: exactly the nodes not on backend 0, or refused by their own.
  std::set<int> fallback_nodes;
  for (const NodeFallback& f : plan.fallbacks) {
    fallback_nodes.insert(f.node);
    if (f.backend != plan.partitions[partition_of[f.node]].backend)
      return "fallback backend mismatch at node " + std::to_string(f.node);
    const size_t expected = f.backend + (f.unsupported ? 1 : 0);
    if (f.refusals.size() != expected)
      return "refusal count at node " + std::to_string(f.node);
    for (size_t i = 0; i < f.refusals.size(); ++i) {
      if (f.refusals[i].first != backends[i].name || f.refusals[i].second == "")
        return "refusal order at node " + std::to_string(f.node);
    }
  }
  for (int n = 0; n < num_nodes; ++n) {
    if (plan.partitions[partition_of[n]].backend != 0 &&
        !fallback_nodes.count(n))
      return "fallback missing for node " + std::to_string(n);
  }
  return "";
}

StatusOr<PartitionPlan> PartitionAndCheck(
    const GraphView& g, const std::vector<BackendCandidate>& backends,
    const PartitionOptions& options = {}) {
  StatusOr<PartitionPlan> plan = PartitionGraph(g, backends, options);
  if (plan.ok()) {
    const std::string error = CheckPlan(g, *plan, backends);
    EXPECT_EQ(error, "") << plan->ToString(g);
  }
  return plan;
}

// Backend index per partition, e.g. {0, 1, 0}.
std::vector<int> Backends(const PartitionPlan& plan) {
  std::vector<int> out;
  for (const Partition& p : plan.partitions) out.push_back(p.backend);
  return out;
}

std::vector<std::vector<int>> Nodes(const PartitionPlan& plan) {
  std::vector<std::vector<int>> out;
  for (const Partition& p : plan.partitions) out.push_back(p.nodes);
  return out;
}

const NodeFallback* FindFallback(const PartitionPlan& plan, int node) {
  for (const NodeFallback& f : plan.fallbacks) {
    if (f.node == node) return &f;
  }
  return nullptr;
}

// A chain of ops: input -> ops[0] -> ops[1] -> ... -> output.
FakeGraph Chain(const std::vector<std::string>& ops) {
  FakeGraph g;
  int t = g.AddInput();
  for (const std::string& op : ops) t = g.AddOp(op, {t});
  g.MarkOutput(t);
  return g;
}

TEST(Partitioner, ChainFullyDelegated) {
  FakeGraph g;
  const int in = g.AddInput();
  const int w = g.AddConstant();
  const int a = g.AddOp("CONV_2D", {in, w});
  const int b = g.AddOp("RELU", {a});
  g.MarkOutput(b);
  auto plan =
      PartitionAndCheck(g, {Accepts("xnnpack", {"CONV_2D", "RELU"}), Cpu()});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->backends, ElementsAre("xnnpack", "cpu"));
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->partitions[0].backend, 0);
  EXPECT_THAT(plan->partitions[0].nodes, ElementsAre(0, 1));
  EXPECT_THAT(plan->partitions[0].inputs, ElementsAre(in));  // not w
  EXPECT_THAT(plan->partitions[0].outputs, ElementsAre(b));
  EXPECT_THAT(plan->fallbacks, IsEmpty());
  EXPECT_THAT(plan->boundary_tensors, IsEmpty());
}

TEST(Partitioner, OnlyCpu) {
  FakeGraph g = Chain({"A", "B", "C"});
  auto plan = PartitionAndCheck(g, {Cpu()});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_THAT(plan->partitions[0].nodes, ElementsAre(0, 1, 2));
  EXPECT_THAT(plan->fallbacks, IsEmpty());
}

TEST(Partitioner, EmptyGraph) {
  FakeGraph g;
  auto plan = PartitionAndCheck(g, {Accepts("x", {}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->partitions, IsEmpty());
  EXPECT_THAT(plan->ExecutionOrder(), IsEmpty());
}

TEST(Partitioner, ChainWithUnsupportedMiddle) {
  FakeGraph g = Chain({"CONV_2D", "CONV_2D", "WEIRD", "CONV_2D"});
  auto plan = PartitionAndCheck(g, {Accepts("xnnpack", {"CONV_2D"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(0, 1, 0));
  EXPECT_THAT(Nodes(*plan),
              ElementsAre(ElementsAre(0, 1), ElementsAre(2), ElementsAre(3)));
  // Tensors: 0 input, 1..4 outputs of nodes 0..3.
  EXPECT_THAT(plan->partitions[1].inputs, ElementsAre(2));
  EXPECT_THAT(plan->partitions[1].outputs, ElementsAre(3));
  EXPECT_THAT(plan->boundary_tensors, ElementsAre(2, 3));
  ASSERT_EQ(plan->fallbacks.size(), 1u);
  EXPECT_EQ(plan->fallbacks[0].node, 2);
  EXPECT_EQ(plan->fallbacks[0].op, "WEIRD");
  EXPECT_EQ(plan->fallbacks[0].backend, 1);
  EXPECT_FALSE(plan->fallbacks[0].unsupported);
  EXPECT_THAT(plan->fallbacks[0].refusals,
              ElementsAre(Pair("xnnpack", "xnnpack has no WEIRD")));
}

TEST(Partitioner, DiamondStaysWhole) {
  FakeGraph g;
  const int in = g.AddInput();
  const int a = g.AddOp("A", {in});
  const int b = g.AddOp("B", {a});
  const int c = g.AddOp("C", {a});
  const int d = g.AddOp("D", {b, c});
  g.MarkOutput(d);
  auto plan =
      PartitionAndCheck(g, {Accepts("acc", {"A", "B", "C", "D"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 1, 2, 3)));
}

TEST(Partitioner, DiamondWithUnsupportedArm) {
  FakeGraph g;
  const int in = g.AddInput();
  const int a = g.AddOp("A", {in});
  const int b = g.AddOp("B", {a});
  const int c = g.AddOp("C", {a});
  const int d = g.AddOp("D", {b, c});
  g.MarkOutput(d);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"A", "B", "D"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  // A and B run together; D must wait for C.
  EXPECT_THAT(Nodes(*plan),
              ElementsAre(ElementsAre(0, 1), ElementsAre(2), ElementsAre(3)));
  EXPECT_THAT(plan->partitions[0].outputs, ElementsAre(a, b));
  EXPECT_THAT(plan->partitions[2].inputs, ElementsAre(b, c));
}

TEST(Partitioner, InterleavedUnsupportedNodes) {
  FakeGraph g = Chain({"X", "Y", "X", "Y", "X", "Y"});
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(0, 1, 0, 1, 0, 1));
  EXPECT_EQ(plan->fallbacks.size(), 3u);
  EXPECT_EQ(plan->boundary_tensors.size(), 5u);
}

TEST(Partitioner, IndependentBranchesDoNotFragment) {
  // Model order interleaves two branches; grouping by model order would
  // give 6 partitions.
  FakeGraph g;
  const int in = g.AddInput();
  const int a1 = g.AddOp("X", {in});     // node 0
  const int c1 = g.AddOp("Y", {in});     // node 1
  const int a2 = g.AddOp("X", {a1});     // node 2
  const int c2 = g.AddOp("Y", {c1});     // node 3
  const int a3 = g.AddOp("X", {a2});     // node 4
  const int j = g.AddOp("X", {a3, c2});  // node 5
  g.MarkOutput(j);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 2, 4), ElementsAre(1, 3),
                                        ElementsAre(5)));
  EXPECT_THAT(plan->ExecutionOrder(), ElementsAre(0, 2, 4, 1, 3, 5));
  EXPECT_THAT(plan->boundary_tensors, ElementsAre(c2, a3));  // ascending
}

TEST(Partitioner, ContiguousGroupingWouldCreateCycle) {
  // A -> B -> C, and A -> C directly: A and C on the accelerator, B on the
  // CPU. One {A, C} partition would need B's output before it starts and
  // feed B at the same time.
  FakeGraph g;
  const int in = g.AddInput();
  const int a = g.AddOp("ACC", {in});
  const int b = g.AddOp("CPU_ONLY", {a});
  const int c = g.AddOp("ACC", {a, b});
  g.MarkOutput(c);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"ACC"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan),
              ElementsAre(ElementsAre(0), ElementsAre(1), ElementsAre(2)));
  EXPECT_THAT(Backends(*plan), ElementsAre(0, 1, 0));
}

TEST(Partitioner, ReordersForwardToJoinIndependentNodes) {
  // Model order: acc, cpu, acc where the second acc node does not depend
  // on the cpu node: both acc nodes join one partition.
  FakeGraph g;
  const int in = g.AddInput();
  const int a = g.AddOp("ACC", {in});
  const int b = g.AddOp("CPU_ONLY", {in});
  const int c = g.AddOp("ACC", {a});
  g.MarkOutput(b);
  g.MarkOutput(c);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"ACC"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 2), ElementsAre(1)));
  EXPECT_THAT(plan->partitions[0].outputs, ElementsAre(c));
  EXPECT_THAT(plan->partitions[1].outputs, ElementsAre(b));
  EXPECT_THAT(plan->boundary_tensors, IsEmpty());
}

TEST(Partitioner, MaxDelegatedPartitionsKeepsLargest) {
  // acc x1, cpu, acc x3, cpu, acc x2.
  FakeGraph g = Chain({"X", "Y", "X", "X", "X", "Y", "X", "X"});
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()},
                                {.max_delegated_partitions = 1});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 1), ElementsAre(2, 3, 4),
                                        ElementsAre(5, 6, 7)));
  EXPECT_THAT(Backends(*plan), ElementsAre(1, 0, 1));
  const NodeFallback* f = FindFallback(*plan, 6);
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->refusals,
              ElementsAre(Pair("acc", HasSubstr("max_delegated_partitions"))));
  EXPECT_THAT(f->refusals[0].second, HasSubstr("partition of 2 nodes"));
}

TEST(Partitioner, MaxDelegatedPartitionsTieKeepsEarlier) {
  FakeGraph g = Chain({"X", "X", "Y", "X", "X"});
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()},
                                {.max_delegated_partitions = 1});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(0, 1));
  EXPECT_THAT(Nodes(*plan),
              ElementsAre(ElementsAre(0, 1), ElementsAre(2, 3, 4)));
}

TEST(Partitioner, MaxDelegatedPartitionsIsPerBackend) {
  // gpu takes G, xnn takes X; each has two partitions; limit 1 each.
  FakeGraph g = Chain({"G", "G", "Y", "X", "Y", "G", "Y", "X", "X"});
  auto plan = PartitionAndCheck(
      g, {Accepts("gpu", {"G"}), Accepts("xnn", {"X"}), Cpu()},
      {.max_delegated_partitions = 1});
  ASSERT_TRUE(plan.ok());
  int gpu = 0, xnn = 0;
  for (const Partition& p : plan->partitions) {
    gpu += p.backend == 0;
    xnn += p.backend == 1;
  }
  EXPECT_EQ(gpu, 1);
  EXPECT_EQ(xnn, 1);
  EXPECT_THAT(Backends(*plan), ElementsAre(0, 2, 1));
}

TEST(Partitioner, MinNodesPerPartition) {
  FakeGraph g = Chain({"X", "Y", "X", "X", "X", "Y", "X"});
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()},
                                {.min_nodes_per_partition = 2});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 1), ElementsAre(2, 3, 4),
                                        ElementsAre(5, 6)));
  EXPECT_THAT(Backends(*plan), ElementsAre(1, 0, 1));
  const NodeFallback* f = FindFallback(*plan, 0);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->backend, 1);
  EXPECT_THAT(f->refusals, ElementsAre(Pair("acc",
                                            "partition of 1 node is below "
                                            "min_nodes_per_partition (2)")));
}

TEST(Partitioner, MinNodesNeverAppliesToCpu) {
  FakeGraph g = Chain({"X", "X", "Y", "X", "X"});
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()},
                                {.min_nodes_per_partition = 2});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(0, 1, 0));
}

TEST(Partitioner, MinNodesLargerThanGraphPutsAllOnCpu) {
  FakeGraph g = Chain({"X", "X", "X"});
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()},
                                {.min_nodes_per_partition = 10});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(1));
  EXPECT_EQ(plan->fallbacks.size(), 3u);
}

TEST(Partitioner, DemotionGoesToNextBackendOfThree) {
  // gpu takes only C; xnn takes C and A. The lone C among A's is too small
  // for gpu and must land on xnn (not the CPU), joining one xnn partition.
  FakeGraph g = Chain({"A", "A", "C", "A", "A"});
  auto plan = PartitionAndCheck(
      g, {Accepts("gpu", {"C"}), Accepts("xnn", {"C", "A"}), Cpu()},
      {.min_nodes_per_partition = 2});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(1));
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 1, 2, 3, 4)));
  const NodeFallback* f = FindFallback(*plan, 2);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->backend, 1);
  EXPECT_THAT(f->refusals,
              ElementsAre(Pair("gpu", HasSubstr("min_nodes_per_partition"))));
  // The A nodes were refused by gpu for support.
  const NodeFallback* fa = FindFallback(*plan, 0);
  ASSERT_NE(fa, nullptr);
  EXPECT_THAT(fa->refusals, ElementsAre(Pair("gpu", "gpu has no A")));
}

TEST(Partitioner, DemotionSkipsBackendsThatRefuse) {
  // gpu takes G (one lone node), xnn does not: the demoted node goes to the
  // CPU with both reasons.
  FakeGraph g = Chain({"Y", "G", "Y"});
  auto plan = PartitionAndCheck(
      g, {Accepts("gpu", {"G"}), Accepts("xnn", {"X"}), Cpu()},
      {.min_nodes_per_partition = 2});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(2));
  const NodeFallback* f = FindFallback(*plan, 1);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->backend, 2);
  EXPECT_THAT(f->refusals,
              ElementsAre(Pair("gpu", HasSubstr("min_nodes_per_partition")),
                          Pair("xnn", "xnn has no G")));
}

TEST(Partitioner, DemotedNodesCanMakeNextBackendBigEnough) {
  // xnn alone has partitions of 1 node (too small), but the gpu nodes that
  // gpu drops join them: xnn is judged after gpu's demotions.
  FakeGraph g = Chain({"X", "G", "Y", "G", "X", "Y"});
  auto plan = PartitionAndCheck(
      g, {Accepts("gpu", {"G"}), Accepts("xnn", {"X", "G"}), Cpu()},
      {.min_nodes_per_partition = 2});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 1), ElementsAre(2),
                                        ElementsAre(3, 4), ElementsAre(5)));
  EXPECT_THAT(Backends(*plan), ElementsAre(1, 2, 1, 2));
}

TEST(Partitioner, UnsupportedEverywhere) {
  FakeGraph g = Chain({"CONV_2D", "edgetpu-custom-op", "CONV_2D"});
  BackendCandidate cpu{
      "cpu", [](const GraphView& gv, int node) {
        const std::string& op = gv.node(node).op_name;
        if (op == "edgetpu-custom-op") {
          return NodeSupport::No("no CPU kernel for custom op '" + op + "'");
        }
        return NodeSupport::Yes();
      }};
  auto plan = PartitionAndCheck(g, {Accepts("xnnpack", {"CONV_2D"}), cpu});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Backends(*plan), ElementsAre(0, 1, 0));
  ASSERT_EQ(plan->fallbacks.size(), 1u);
  const NodeFallback& f = plan->fallbacks[0];
  EXPECT_EQ(f.node, 1);
  EXPECT_EQ(f.backend, 1);
  EXPECT_TRUE(f.unsupported);
  EXPECT_THAT(f.refusals,
              ElementsAre(Pair("xnnpack", "xnnpack has no edgetpu-custom-op"),
                          Pair("cpu",
                               "no CPU kernel for custom op "
                               "'edgetpu-custom-op'")));
  const std::string text = plan->ToString(g);
  EXPECT_THAT(text, HasSubstr("node 1 edgetpu-custom-op -> cpu (supported "
                              "by no backend)"));
  EXPECT_THAT(text, HasSubstr("cpu: no CPU kernel for custom op"));
}

TEST(Partitioner, UnsupportedOnOnlyBackendIsReported) {
  FakeGraph g = Chain({"A"});
  auto plan = PartitionAndCheck(g, {Accepts("cpu", {})});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->fallbacks.size(), 1u);
  EXPECT_TRUE(plan->fallbacks[0].unsupported);
  EXPECT_EQ(plan->fallbacks[0].backend, 0);
}

TEST(Partitioner, EmptyReasonBecomesNotSupported) {
  FakeGraph g = Chain({"A"});
  BackendCandidate silent{"acc", [](const GraphView&, int) {
                            return NodeSupport{false, ""};
                          }};
  auto plan = PartitionAndCheck(g, {silent, Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->fallbacks[0].refusals,
              ElementsAre(Pair("acc", "not supported")));
}

TEST(Partitioner, GraphOutputsAndInputsAtBoundaries) {
  // The acc partition's intermediate tensor is also a graph output; a graph
  // input is read by both partitions; constants never appear.
  FakeGraph g;
  const int in = g.AddInput();
  const int w = g.AddConstant();
  const int a = g.AddOp("X", {in, w});
  const int b = g.AddOp("X", {a});
  const int c = g.AddOp("Y", {b, in, w});
  g.MarkOutput(a);
  g.MarkOutput(c);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->partitions.size(), 2u);
  EXPECT_THAT(plan->partitions[0].inputs, ElementsAre(in));
  EXPECT_THAT(plan->partitions[0].outputs, ElementsAre(a, b));
  EXPECT_THAT(plan->partitions[1].inputs, ElementsAre(in, b));
  EXPECT_THAT(plan->partitions[1].outputs, ElementsAre(c));
  EXPECT_THAT(plan->boundary_tensors, ElementsAre(b));
}

TEST(Partitioner, OptionalInputsAndMultipleOutputs) {
  FakeGraph g;
  const int in = g.AddInput();
  const int o1 = g.AddTensor();
  const int o2 = g.AddTensor();
  g.AddNode("SPLIT", {in, -1}, {o1, o2});
  const int x = g.AddOp("Y", {o1});
  const int y = g.AddOp("SPLIT", {o2, -1});
  g.MarkOutput(x);
  g.MarkOutput(y);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"SPLIT"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(Nodes(*plan), ElementsAre(ElementsAre(0, 2), ElementsAre(1)));
  EXPECT_THAT(plan->partitions[0].outputs, ElementsAre(o1, y));
  EXPECT_THAT(plan->boundary_tensors, ElementsAre(o1));
}

TEST(Partitioner, VariableTensorUsersKeepModelOrder) {
  // Two nodes read and write the same state in place; they share no
  // produced tensor, but must not be reordered.
  FakeGraph g;
  const int in = g.AddInput();
  const int state = g.AddVariable();
  const int a = g.AddOp("Y", {in, state});
  const int b = g.AddOp("X", {in, state});
  g.MarkOutput(a);
  g.MarkOutput(b);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->ExecutionOrder(), ElementsAre(0, 1));
  EXPECT_THAT(plan->partitions[1].inputs, ElementsAre(in, state));
}

TEST(Partitioner, NodesNeedNotBeInTopologicalModelOrder) {
  FakeGraph g;
  const int in = g.AddInput();
  const int mid = g.AddTensor();
  const int out = g.AddTensor();
  g.AddNode("X", {mid}, {out});  // node 0 reads node 1's output
  g.AddNode("X", {in}, {mid});
  g.MarkOutput(out);
  auto plan = PartitionAndCheck(g, {Accepts("acc", {"X"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->ExecutionOrder(), ElementsAre(1, 0));
}

TEST(Partitioner, Errors) {
  FakeGraph g = Chain({"A"});
  EXPECT_EQ(PartitionGraph(g, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PartitionGraph(g, {Cpu()}, {.max_delegated_partitions = -1})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PartitionGraph(g, {Cpu()}, {.min_nodes_per_partition = -2})
                .status()
                .code(),
            StatusCode::kInvalidArgument);

  FakeGraph cycle;
  const int t0 = cycle.AddTensor();
  const int t1 = cycle.AddTensor();
  cycle.AddNode("A", {t1}, {t0});
  cycle.AddNode("B", {t0}, {t1});
  auto s = PartitionGraph(cycle, {Cpu()});
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("cycle"));

  FakeGraph range;
  range.AddNode("A", {5}, {});
  s = PartitionGraph(range, {Cpu()});
  EXPECT_THAT(s.status().message(), HasSubstr("node 0 (A): input tensor 5"));

  FakeGraph twice;
  const int x = twice.AddTensor();
  twice.AddNode("A", {}, {x});
  twice.AddNode("B", {}, {x});
  s = PartitionGraph(twice, {Cpu()});
  EXPECT_THAT(s.status().message(), HasSubstr("already written by node 0"));

  FakeGraph self;
  const int y = self.AddTensor();
  self.AddNode("A", {y}, {y});
  EXPECT_FALSE(PartitionGraph(self, {Cpu()}).ok());
}

TEST(Partitioner, DeterministicAndAsksOncePerNodeAndBackend) {
  FakeGraph g = Chain({"X", "Y", "X", "X", "Y", "X", "X", "X"});
  std::map<std::pair<int, int>, int> calls;
  auto counting = [&calls](int b, std::set<std::string> ops) {
    return [&calls, b, ops](const GraphView& gv, int node) {
      ++calls[{node, b}];
      return ops.count(gv.node(node).op_name) ? NodeSupport::Yes()
                                              : NodeSupport::No("no");
    };
  };
  const std::vector<BackendCandidate> backends = {
      {"gpu", counting(0, {"X"})},
      {"xnn", counting(1, {"X"})},
      {"cpu", counting(2, {"X", "Y"})}};
  const PartitionOptions options{.max_delegated_partitions = 1,
                                 .min_nodes_per_partition = 2};
  auto first = PartitionAndCheck(g, backends, options);
  ASSERT_TRUE(first.ok());
  for (const auto& [key, count] : calls) {
    EXPECT_EQ(count, 1) << "node " << key.first << " backend " << key.second;
  }
  for (int i = 0; i < 5; ++i) {
    auto again = PartitionGraph(g, backends, options);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->ToString(g), first->ToString(g));
    EXPECT_EQ(Nodes(*again), Nodes(*first));
  }
  // gpu keeps its largest (nodes 5-7); its other partitions go to xnn,
  // which keeps its largest (2-3) and hands node 0 to the CPU.
  EXPECT_THAT(Backends(*first), ElementsAre(2, 1, 2, 0));
}

TEST(Partitioner, ToStringListsPartitionsFallbacksAndBoundaries) {
  FakeGraph g = Chain({"CONV_2D", "CONV_2D", "WEIRD", "ADD"});
  auto plan =
      PartitionAndCheck(g, {Accepts("xnnpack", {"CONV_2D", "ADD"}), Cpu()});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->ToString(g),
            "backends: xnnpack, cpu\n"
            "partitions: 3 (2 delegated)\n"
            "  [0] xnnpack: 2 nodes (CONV_2D x2)\n"
            "      nodes 0-1; inputs t0; outputs t2\n"
            "  [1] cpu: 1 node (WEIRD)\n"
            "      nodes 2; inputs t2; outputs t3\n"
            "  [2] xnnpack: 1 node (ADD)\n"
            "      nodes 3; inputs t3; outputs t4\n"
            "fallbacks: 1\n"
            "  node 2 WEIRD -> cpu\n"
            "      xnnpack: xnnpack has no WEIRD\n"
            "boundary tensors: t2, t3\n");
}

// Random DAGs, random support sets and options: every plan has the
// structural properties CheckPlan verifies, and is deterministic.
TEST(Partitioner, RandomDagsGiveValidPlans) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> op_names = {"A", "B", "C", "D", "E"};
  for (int trial = 0; trial < 400; ++trial) {
    const int num_nodes = 1 + static_cast<int>(rng() % 40);
    // Build in a topological order, then shuffle the node numbering so the
    // model order is not always topological... but keep half of the
    // trials in model order, as real models are.
    std::vector<int> perm(num_nodes);
    for (int i = 0; i < num_nodes; ++i) perm[i] = i;
    if (trial % 2) std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<std::string> ops(num_nodes);
    std::vector<std::vector<int>> inputs(num_nodes);
    std::vector<std::vector<int>> outputs(num_nodes);
    FakeGraph g;
    std::vector<int> available;  // tensors a later node may read
    const int num_graph_inputs = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < num_graph_inputs; ++i)
      available.push_back(g.AddInput());
    const int state = g.AddVariable();
    for (int k = 0; k < num_nodes; ++k) {
      const int slot = perm[k];
      ops[slot] = op_names[rng() % op_names.size()];
      const int fan_in = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < fan_in; ++i) {
        inputs[slot].push_back(available[rng() % available.size()]);
      }
      if (rng() % 3 == 0) inputs[slot].push_back(g.AddConstant());
      if (rng() % 10 == 0) inputs[slot].push_back(-1);
      // State users are ordered by model order, so only where that order
      // is topological (as in real models).
      if (trial % 2 == 0 && rng() % 15 == 0) inputs[slot].push_back(state);
      const int fan_out = 1 + static_cast<int>(rng() % 2);
      for (int i = 0; i < fan_out; ++i) {
        const int t = g.AddTensor();
        outputs[slot].push_back(t);
        available.push_back(t);
      }
    }
    for (int n = 0; n < num_nodes; ++n)
      g.AddNode(ops[n], inputs[n], outputs[n]);
    for (int t : available) {
      if (rng() % 5 == 0) g.MarkOutput(t);
    }
    // 1 to 3 delegated backends with random op sets, then the CPU.
    std::vector<BackendCandidate> backends;
    const int num_delegates = static_cast<int>(rng() % 4);
    for (int b = 0; b < num_delegates; ++b) {
      std::set<std::string> accepted;
      for (const std::string& op : op_names) {
        if (rng() % 2) accepted.insert(op);
      }
      backends.push_back(Accepts("b" + std::to_string(b), accepted));
    }
    backends.push_back(rng() % 4 ? Cpu() : Accepts("cpu", {"A", "B", "C"}));
    const PartitionOptions options{
        .max_delegated_partitions = static_cast<int>(rng() % 4),
        .min_nodes_per_partition = static_cast<int>(rng() % 4)};

    auto plan = PartitionGraph(g, backends, options);
    ASSERT_TRUE(plan.ok()) << "trial " << trial << ": " << plan.status();
    ASSERT_EQ(CheckPlan(g, *plan, backends), "") << "trial " << trial << "\n"
                                                 << plan->ToString(g);
    // Limits hold for every delegated backend.
    std::map<int, int> count;
    for (const Partition& p : plan->partitions) {
      if (p.backend + 1 == static_cast<int>(backends.size())) continue;
      ++count[p.backend];
      if (options.min_nodes_per_partition > 1) {
        EXPECT_GE(static_cast<int>(p.nodes.size()),
                  options.min_nodes_per_partition)
            << "trial " << trial;
      }
    }
    if (options.max_delegated_partitions > 0) {
      for (const auto& [b, c] : count) {
        EXPECT_LE(c, options.max_delegated_partitions) << "trial " << trial;
      }
    }
    // Each node runs on a backend that supports it, or on the last one.
    for (const Partition& p : plan->partitions) {
      if (p.backend + 1 == static_cast<int>(backends.size())) continue;
      for (int n : p.nodes) {
        EXPECT_TRUE(backends[p.backend].supports(g, n).supported)
            << "trial " << trial << " node " << n;
      }
    }
    auto again = PartitionGraph(g, backends, options);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->ToString(g), plan->ToString(g)) << "trial " << trial;
  }
}

}  // namespace
}  // namespace edgerun::planner
