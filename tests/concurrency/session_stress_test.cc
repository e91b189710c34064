// Many threads x several models through Sessions: every result equals the
// single-threaded result; hostile requests (out-of-range GATHER indices)
// fail alone while the others succeed; cancellation and full queues mixed
// in; several sessions sharing one scheduler (a 2-slot CPU device and a
// 1-slot device grouping by model) with streams on top. Built under TSAN as
// well (label `concurrency`). Asserts no timings.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "edgerun/session/session.h"
#include "edgerun/session/stream.h"
#include "src/session/session_test_util.h"
#include "tests/support/shared_data.h"

namespace edgerun::session {
namespace {

using testing::Reference;

// A model, its session and the expected outputs of each input set, computed
// by one plain Interpreter on one thread.
struct Case {
  std::string name;
  std::shared_ptr<const ModelFile> model;
  std::vector<std::vector<TensorData>> inputs;
  std::vector<StatusOr<Session::Outputs>> expected;
  std::unique_ptr<Session> session;
};

std::vector<TensorData> RandomInputs(const Session& s, std::mt19937& rng) {
  std::vector<TensorData> in;
  for (const TensorInfo& info : s.inputs()) {
    TensorData t;
    t.type = info.type;
    t.shape = info.shape;
    int64_t n = 1;
    for (int32_t d : info.shape) n *= d;
    t.bytes.resize(n * DataTypeSize(info.type));
    if (info.type == DataType::kFloat32) {
      std::uniform_real_distribution<float> dist(-1, 1);
      for (int64_t i = 0; i < n; ++i) {
        const float v = dist(rng);
        std::memcpy(t.bytes.data() + 4 * i, &v, 4);
      }
    } else {
      for (auto& b : t.bytes) b = static_cast<uint8_t>(rng());
    }
    in.push_back(std::move(t));
  }
  return in;
}

void AddCase(std::vector<Case>& cases, std::string name,
             StatusOr<std::shared_ptr<const ModelFile>> model, int num_inputs,
             std::mt19937& rng, int pool, std::shared_ptr<Scheduler> scheduler = nullptr,
             std::string device = "") {
  ASSERT_TRUE(model.ok()) << name << ": " << model.status();
  Case c;
  c.name = std::move(name);
  c.model = *model;
  SessionOptions options{.num_interpreters = pool, .num_cores = pool};
  options.scheduler = std::move(scheduler);
  options.device = std::move(device);
  options.name = c.name;
  auto session = Session::Create(c.model, options);
  ASSERT_TRUE(session.ok()) << c.name << ": " << session.status();
  c.session = std::move(session).value();
  for (int i = 0; i < num_inputs; ++i) {
    std::vector<TensorData> in;
    if (c.name == "gather") {
      // One request in four carries an out-of-range index.
      std::vector<int32_t> idx = {static_cast<int32_t>(rng() % 6),
                                  static_cast<int32_t>(rng() % 6),
                                  i % 4 == 3 ? 1000 + i : 0};
      in.push_back(TensorData::From(DataType::kInt32, {3}, idx));
    } else {
      in = RandomInputs(*c.session, rng);
    }
    c.expected.push_back(Reference(c.model, in));
    c.inputs.push_back(std::move(in));
  }
  cases.push_back(std::move(c));
}

void Check(const Case& c, int input, const StatusOr<Session::Outputs>& got) {
  const auto& want = c.expected[input];
  ASSERT_EQ(got.ok(), want.ok()) << c.name << " input " << input << ": got "
                                 << got.status() << " want " << want.status();
  if (!want.ok()) {
    EXPECT_EQ(got.status(), want.status()) << c.name;
    return;
  }
  ASSERT_EQ(got->size(), want->size());
  for (size_t o = 0; o < want->size(); ++o) {
    EXPECT_TRUE((*got)[o] == (*want)[o]) << c.name << " input " << input << " output " << o;
  }
}

TEST(SessionStressTest, ManyThreadsManyModelsMatchSingleThreaded) {
  std::mt19937 rng(7);
  std::vector<Case> cases;
  AddCase(cases, "affine", testing::FloatAffineModel(64, 1.5f, -0.25f), 16, rng, 3);
  AddCase(cases, "gather", testing::Uint8GatherModel(6), 16, rng, 2);
  if (edgerun::testing::HaveSharedData()) {
    for (const char* name : {"hello_world_float.tflite", "hello_world_int8.tflite",
                             "mobilenet_v1_0.25_128_quant.tflite"}) {
      const std::string path = edgerun::testing::ModelPath(name);
      if (!std::filesystem::exists(path)) continue;
      AddCase(cases, name, LoadModelFromFile(path), 4, rng, 2);
    }
  }
  ASSERT_FALSE(HasFatalFailure());

  constexpr int kThreads = 8;
  constexpr int kPerThread = 24;
  std::atomic<int> failures_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 local(100 + t);
      for (int i = 0; i < kPerThread; ++i) {
        const Case& c = cases[local() % cases.size()];
        const int input = static_cast<int>(local() % c.inputs.size());
        RunOptions o{.priority = static_cast<int>(local() % 3)};
        if (i % 2 == 0) {
          Check(c, input, c.session->Run(c.inputs[input], o));
        } else {
          auto f = c.session->Submit(c.inputs[input], o);
          Check(c, input, f.get());
        }
        if (!c.expected[input].ok()) ++failures_seen;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const Case& c : cases) {
    const SessionStats s = c.session->stats();
    EXPECT_EQ(s.requests, s.ok + s.errors) << c.name;
    EXPECT_EQ(s.device.requests, s.device.completed + s.device.errors) << c.name;
  }
}

TEST(SessionStressTest, CancellationAndFullQueuesUnderLoad) {
  // Every result is the right answer, kCancelled or kUnavailable; never a
  // wrong answer, and the counters add up.
  std::mt19937 rng(11);
  std::vector<Case> cases;
  AddCase(cases, "affine", testing::FloatAffineModel(256, 0.5f, 2.f), 8, rng, 2);
  ASSERT_FALSE(HasFatalFailure());
  Case& c = cases[0];
  auto session = Session::Create(c.model, {.num_interpreters = 2, .num_cores = 2,
                                           .max_queue = 4});
  ASSERT_TRUE(session.ok());
  std::atomic<int> ok{0}, cancelled{0}, unavailable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const int input = (t + i) % static_cast<int>(c.inputs.size());
        CancellationToken token;
        auto f = (*session)->Submit(c.inputs[input], {.cancel = token});
        if (i % 3 == 0) token.Cancel();
        auto r = f.get();
        if (r.ok()) {
          Check(c, input, r);
          ++ok;
        } else if (r.status().code() == StatusCode::kCancelled) {
          ++cancelled;
        } else {
          EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
          ++unavailable;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const SessionStats s = (*session)->stats();
  EXPECT_EQ(s.requests, 240u);
  EXPECT_EQ(static_cast<uint64_t>(ok), s.ok);
  EXPECT_EQ(s.device.rejections, static_cast<uint64_t>(unavailable));
  EXPECT_EQ(s.device.cancelled, static_cast<uint64_t>(cancelled));
  EXPECT_GT(ok, 0);
}

TEST(SessionStressTest, SessionsSharingASchedulerWithStreams) {
  // Models on one scheduler: a 2-slot "cpu" device and a 1-slot "npu" that
  // groups by model. 6 client threads (Run / Submit / SubmitWithCallback)
  // and 2 streams per npu model at once; every result equals the
  // single-threaded one and the counters add up per device and model.
  auto created = Scheduler::Create(
      {{.name = "cpu", .slots = 2, .max_queue = 256},
       {.name = "npu", .slots = 1, .max_queue = 256, .group_by_model = true,
        .max_consecutive_same_model = 3}});
  ASSERT_TRUE(created.ok());
  std::shared_ptr<Scheduler> sched = std::move(created).value();
  std::mt19937 rng(5);
  std::vector<Case> cases;
  AddCase(cases, "affine-cpu", testing::FloatAffineModel(32, 1.25f, 0.5f), 8, rng, 2,
          sched, "cpu");
  AddCase(cases, "gather", testing::Uint8GatherModel(6), 8, rng, 1, sched, "npu");
  AddCase(cases, "affine-npu", testing::FloatAffineModel(32, -2.f, 1.f), 8, rng, 1,
          sched, "npu");
  if (edgerun::testing::HaveSharedData()) {
    const std::string path = edgerun::testing::ModelPath("hello_world_int8.tflite");
    if (std::filesystem::exists(path)) {
      AddCase(cases, "hello_world_int8", LoadModelFromFile(path), 4, rng, 1, sched, "npu");
    }
  }
  ASSERT_FALSE(HasFatalFailure());

  // Streams push inputs cyclically; the callback checks the frame's input.
  struct StreamCase {
    const Case* c;
    std::mutex mu;
    std::map<uint64_t, int> input_of;  // frame id -> input index
    std::unique_ptr<Stream> stream;
    std::atomic<int> callbacks{0};
  };
  std::vector<std::unique_ptr<StreamCase>> streams;
  for (const Case& c : cases) {
    if (c.name == "affine-cpu") continue;
    for (int k = 0; k < 2; ++k) {
      auto sc = std::make_unique<StreamCase>();
      sc->c = &c;
      StreamCase* raw = sc.get();
      auto stream = Stream::Create(
          c.session.get(), {.name = c.name + "/" + std::to_string(k), .priority = k},
          [raw](uint64_t id, StatusOr<Session::Outputs> result) {
            int input = 0;
            {
              std::lock_guard<std::mutex> l(raw->mu);
              input = raw->input_of.at(id);
            }
            Check(*raw->c, input, result);
            ++raw->callbacks;
          });
      ASSERT_TRUE(stream.ok()) << stream.status();
      sc->stream = std::move(stream).value();
      streams.push_back(std::move(sc));
    }
  }

  std::atomic<bool> stop{false};
  std::vector<std::thread> pushers;
  for (auto& sc : streams) {
    pushers.emplace_back([&, raw = sc.get()] {
      for (int i = 0; !stop; ++i) {
        const int input = i % static_cast<int>(raw->c->inputs.size());
        {
          // Held across Push so the callback finds the frame's input.
          std::lock_guard<std::mutex> l(raw->mu);
          raw->input_of[raw->stream->Push(raw->c->inputs[input])] = input;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937 local(200 + t);
      for (int i = 0; i < 30; ++i) {
        const Case& c = cases[local() % cases.size()];
        const int input = static_cast<int>(local() % c.inputs.size());
        RunOptions o{.priority = static_cast<int>(local() % 2)};
        switch (i % 3) {
          case 0:
            Check(c, input, c.session->Run(c.inputs[input], o));
            break;
          case 1:
            Check(c, input, c.session->Submit(c.inputs[input], o).get());
            break;
          default: {
            std::promise<StatusOr<Session::Outputs>> p;
            c.session->SubmitWithCallback(
                c.inputs[input], o,
                [&p](StatusOr<Session::Outputs> r) { p.set_value(std::move(r)); });
            Check(c, input, p.get_future().get());
          }
        }
      }
    });
  }
  for (auto& th : clients) th.join();
  stop = true;
  for (auto& th : pushers) th.join();
  uint64_t stream_dropped = 0;
  for (auto& sc : streams) {
    sc->stream->Close();
    const StreamStats st = sc->stream->stats();
    EXPECT_EQ(st.pushed, st.dropped + st.completed + st.errors) << sc->stream->name();
    EXPECT_EQ(static_cast<uint64_t>(sc->callbacks.load()), st.completed + st.errors);
    EXPECT_GT(st.completed + st.errors, 0u);
    stream_dropped += st.dropped;
  }

  uint64_t session_dropped = 0;
  for (const Case& c : cases) {
    const SessionStats s = c.session->stats();
    EXPECT_EQ(s.requests, s.ok + s.errors) << c.name;
    EXPECT_EQ(s.model.requests, s.model.completed + s.model.errors) << c.name;
    EXPECT_EQ(s.device.name, c.name == "affine-cpu" ? "cpu" : "npu");
    session_dropped += s.dropped;
  }
  EXPECT_EQ(session_dropped, stream_dropped);
  for (const DeviceStats& d : sched->stats()) {
    EXPECT_EQ(d.requests, d.completed + d.errors) << d.name;
    uint64_t per_model = 0;
    for (const auto& [name, m] : d.models) per_model += m.requests;
    EXPECT_EQ(per_model, d.requests) << d.name;
    EXPECT_GE(d.model_switches, d.name == "npu" ? 2u : 1u);
  }
}

}  // namespace
}  // namespace edgerun::session
