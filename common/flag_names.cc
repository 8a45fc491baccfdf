#include "common/flag_names.h"

namespace roost {

std::vector<char*> WithUnderscoredFlagNames(int argc, char** argv,
                                            std::vector<std::string>* storage) {
  storage->assign(argv, argv + argc);
  bool positional_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string& arg = (*storage)[i];
    if (arg == "--") positional_only = true;
    if (positional_only || arg.size() < 3 || arg[0] != '-' || arg[1] != '-') continue;
    for (size_t p = 2; p < arg.size() && arg[p] != '='; ++p) {
      if (arg[p] == '-') arg[p] = '_';
    }
  }
  std::vector<char*> out;
  out.reserve(storage->size());
  for (std::string& arg : *storage) out.push_back(arg.data());
  return out;
}

}  // namespace roost
