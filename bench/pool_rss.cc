// pool_rss: resident memory of N interpreters (or a Session pool of N) of one
// model vs one, with and without the shared packed-weight cache (issue #5:
// a pool of 4 <= 1.5x the memory of one).
//
//   pool_rss MODEL [REPEATS]        runs every configuration, prints JSON
//   pool_rss --child MODEL MODE BACKENDS COUNT
//                                   one measurement (MODE: load, interp,
//                                   session), prints one JSON line
//
// Each measurement runs in its own process (fork + exec of this binary), so
// allocator state and freed-but-kept pages of one configuration cannot
// inflate another. A child loads the model, reads VmRSS ("after load"),
// creates COUNT interpreters (or a Session with COUNT interpreters),
// AllocateTensors and invokes each once, then reads VmRSS and VmHWM again.
// Growth = final VmRSS - VmRSS after load; the "load" mode is the baseline
// process that only loads the model. Sharing is switched off for the A/B
// with EDGERUN_DISABLE_WEIGHT_SHARING=1 in the child's environment.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/summary.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "edgerun/session/session.h"

namespace edgerun {
namespace {

using bench::Summarize;
using bench::Summary;
using session::Session;
using session::SessionOptions;
using session::TensorData;
using session::TensorInfo;

// kB value of a /proc/self/status field ("VmRSS", "VmHWM").
long ReadStatusKb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) return std::atol(line.c_str() + prefix.size());
  }
  return -1;
}

std::vector<std::string> SplitBackends(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

void FillInput(TensorRef in) {
  auto* data = in.data_as<uint8_t>();
  for (size_t i = 0; i < in.bytes(); ++i) data[i] = static_cast<uint8_t>(i * 131 % 251);
}

int Fail(const Status& status) {
  std::cerr << "pool_rss child: " << status << "\n";
  return 1;
}

int RunChild(const std::string& path, const std::string& mode,
             const std::string& backends, int count) {
  auto model = LoadModelFromFile(path);
  if (!model.ok()) return Fail(model.status());
  const long rss_loaded = ReadStatusKb("VmRSS");
  InterpreterOptions options;
  options.backends = SplitBackends(backends);
  size_t shared_bytes = 0, private_bytes = 0, xnn_packed = 0;
  std::vector<std::unique_ptr<Interpreter>> interps;
  std::unique_ptr<Session> session;
  if (mode == "interp") {
    for (int i = 0; i < count; ++i) {
      auto interp = Interpreter::Create(*model, options);
      if (!interp.ok()) return Fail(interp.status());
      if (Status s = (*interp)->AllocateTensors(); !s.ok()) return Fail(s);
      FillInput((*interp)->input(0));
      if (Status s = (*interp)->Invoke(); !s.ok()) return Fail(s);
      interps.push_back(std::move(interp).value());
    }
    const MemoryStats stats = interps[0]->memory_stats();
    shared_bytes = stats.shared_packed_bytes;
    private_bytes = stats.private_packed_bytes;
    xnn_packed = interps[0]->execution_plan().packed_weight_bytes;
  } else if (mode == "session") {
    SessionOptions session_options;
    session_options.num_interpreters = count;
    session_options.threads_per_interpreter = 1;
    session_options.interpreter = options;
    auto created = Session::Create(*model, session_options);
    if (!created.ok()) return Fail(created.status());
    session = std::move(created).value();
    // One request per interpreter, submitted together so each can run.
    const TensorInfo info = session->inputs().at(0);
    int64_t elements = 1;
    for (int32_t d : info.shape) elements *= d;
    TensorData input{info.type, info.shape,
                     std::vector<uint8_t>(elements * DataTypeSize(info.type))};
    for (size_t i = 0; i < input.bytes.size(); ++i) {
      input.bytes[i] = static_cast<uint8_t>(i * 131 % 251);
    }
    std::vector<std::future<StatusOr<Session::Outputs>>> results;
    for (int i = 0; i < count; ++i) results.push_back(session->Submit({input}));
    for (auto& result : results) {
      StatusOr<Session::Outputs> outputs = result.get();
      if (!outputs.ok()) return Fail(outputs.status());
    }
  } else if (mode != "load") {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }
  std::printf(
      "{\"rss_loaded_kb\": %ld, \"rss_kb\": %ld, \"hwm_kb\": %ld, "
      "\"shared_packed_bytes\": %zu, \"private_packed_bytes\": %zu, "
      "\"xnnpack_packed_bytes\": %zu}\n",
      rss_loaded, ReadStatusKb("VmRSS"), ReadStatusKb("VmHWM"), shared_bytes,
      private_bytes, xnn_packed);
  return 0;
}

struct ChildResult {
  long rss_loaded_kb = 0, rss_kb = 0, hwm_kb = 0;
  size_t shared_packed_bytes = 0, private_packed_bytes = 0, xnn_packed = 0;
};

long JsonLong(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  return at == std::string::npos ? -1 : std::atol(json.c_str() + at + key.size() + 3);
}

// Runs this binary as a child with `args`; sharing off when !share.
bool RunChildProcess(const std::string& self, const std::vector<std::string>& args,
                     bool share, ChildResult* result) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return false;
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (share) {
      unsetenv("EDGERUN_DISABLE_WEIGHT_SHARING");
    } else {
      setenv("EDGERUN_DISABLE_WEIGHT_SHARING", "1", 1);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(self.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(self.c_str(), argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string out;
  char buffer[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) out.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return false;
  result->rss_loaded_kb = JsonLong(out, "rss_loaded_kb");
  result->rss_kb = JsonLong(out, "rss_kb");
  result->hwm_kb = JsonLong(out, "hwm_kb");
  result->shared_packed_bytes = JsonLong(out, "shared_packed_bytes");
  result->private_packed_bytes = JsonLong(out, "private_packed_bytes");
  result->xnn_packed = JsonLong(out, "xnnpack_packed_bytes");
  return true;
}

std::string Json(const Summary& s) {
  std::ostringstream o;
  o.precision(6);
  o << "{\"median\": " << s.median << ", \"min\": " << s.min << ", \"max\": " << s.max
    << "}";
  return o.str();
}

int RunParent(const std::string& self, const std::string& model, int repeats) {
  const std::vector<std::string> backend_sets = {"cpu", "xnnpack,cpu"};
  std::vector<std::string> entries;
  // Baseline: a process that only loads the model.
  {
    std::vector<double> rss;
    for (int r = 0; r < repeats; ++r) {
      ChildResult c;
      if (!RunChildProcess(self, {"--child", model, "load", "cpu", "0"}, true, &c)) {
        std::cerr << "baseline child failed\n";
        return 1;
      }
      rss.push_back(static_cast<double>(c.rss_kb));
    }
    entries.push_back("  \"baseline_load_only_rss_kb\": " + Json(Summarize(rss)));
  }
  for (const std::string& mode : {std::string("interp"), std::string("session")}) {
    for (const std::string& backends : backend_sets) {
      for (bool share : {false, true}) {
        std::vector<double> growth1, growth4, ratio, hwm1, hwm4;
        ChildResult last4;
        for (int r = 0; r < repeats; ++r) {
          ChildResult one, four;
          // Interleaved so drift on the machine hits both alike.
          if (!RunChildProcess(self, {"--child", model, mode, backends, "1"}, share,
                               &one) ||
              !RunChildProcess(self, {"--child", model, mode, backends, "4"}, share,
                               &four)) {
            std::cerr << mode << " " << backends << " child failed\n";
            return 1;
          }
          const double g1 = static_cast<double>(one.rss_kb - one.rss_loaded_kb);
          const double g4 = static_cast<double>(four.rss_kb - four.rss_loaded_kb);
          growth1.push_back(g1);
          growth4.push_back(g4);
          ratio.push_back(g4 / g1);
          hwm1.push_back(static_cast<double>(one.hwm_kb));
          hwm4.push_back(static_cast<double>(four.hwm_kb));
          last4 = four;
        }
        std::ostringstream e;
        e << "  \"" << mode << "/" << backends << "/" << (share ? "shared" : "unshared")
          << "\": {\"growth_1_kb\": " << Json(Summarize(growth1))
          << ", \"growth_4_kb\": " << Json(Summarize(growth4))
          << ", \"ratio_4_vs_1\": " << Json(Summarize(ratio))
          << ", \"hwm_1_kb\": " << Json(Summarize(hwm1))
          << ", \"hwm_4_kb\": " << Json(Summarize(hwm4));
        if (mode == "interp") {  // a Session does not expose these
          e << ", \"cpu_shared_packed_bytes\": " << last4.shared_packed_bytes
            << ", \"cpu_private_packed_bytes_per_interpreter\": "
            << last4.private_packed_bytes
            << ", \"xnnpack_packed_bytes_per_interpreter\": " << last4.xnn_packed;
        }
        e << "}";
        entries.push_back(e.str());
        std::cerr << mode << " " << backends << (share ? " shared" : " unshared")
                  << ": ratio 4/1 median " << Summarize(ratio).median << "\n";
      }
    }
  }
  std::cout << "{\n  \"model\": \"" << model << "\",\n  \"repeats\": " << repeats
            << ",\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    std::cout << entries[i] << (i + 1 < entries.size() ? ",\n" : "\n");
  }
  std::cout << "}\n";
  return 0;
}

}  // namespace
}  // namespace edgerun

int main(int argc, char** argv) {
  if (argc >= 6 && std::strcmp(argv[1], "--child") == 0) {
    return edgerun::RunChild(argv[2], argv[3], argv[4], std::atoi(argv[5]));
  }
  if (argc < 2) {
    std::cerr << "usage: pool_rss MODEL [REPEATS]\n";
    return 2;
  }
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  return edgerun::RunParent("/proc/self/exe", argv[1], repeats);
}
