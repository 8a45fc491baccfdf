// --help for Roost's programs: the program's usage message and its own flags, as the
// user spells them (--data-dir), without Abseil's listing of every linked library's
// flags by source file. --helpfull still prints Abseil's full listing.
#ifndef ROOST_COMMON_PROGRAM_HELP_H_
#define ROOST_COMMON_PROGRAM_HELP_H_

#include <string>

#include "absl/strings/string_view.h"

namespace roost {

// `usage`, then every flag defined in a source file whose path ends with `flags_file`
// ("roostctl_main.cc"), sorted by name: "--name (default D)" and its help beneath.
std::string ProgramHelp(absl::string_view usage, absl::string_view flags_file);

// If argv holds --help, -h or --helpshort before a bare "--", prints ProgramHelp to
// stdout and returns true: the caller exits 0.
bool PrintHelpIfAsked(int argc, char** argv, absl::string_view usage, absl::string_view flags_file);

}  // namespace roost

#endif  // ROOST_COMMON_PROGRAM_HELP_H_
