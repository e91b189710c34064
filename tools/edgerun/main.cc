// edgerun: the command-line tool. Subcommands live in
// tools/edgerun/*_command.cc.
#include <iostream>
#include <string>
#include <vector>

#include "tools/edgerun/command.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv, argv + argc);
  const int code = edgerun::cli::Main(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
