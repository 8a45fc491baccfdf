// Command-line flags are documented with dashes (--data-dir), the Unix convention,
// while Abseil flag names are C identifiers (data_dir). Binaries pass their arguments
// through WithUnderscoredFlagNames before absl::ParseCommandLine so both spellings work.
#ifndef ROOST_COMMON_FLAG_NAMES_H_
#define ROOST_COMMON_FLAG_NAMES_H_

#include <string>
#include <vector>

namespace roost {

// A copy of argv in which the name part of every "--some-flag[=value]" argument
// before a bare "--" reads "--some_flag[=value]"; values and positional arguments are
// untouched. The returned pointers point into *storage. argv itself is left as it is,
// so the process's command line (ps, /proc) shows what the user typed.
std::vector<char*> WithUnderscoredFlagNames(int argc, char** argv,
                                            std::vector<std::string>* storage);

}  // namespace roost

#endif  // ROOST_COMMON_FLAG_NAMES_H_
