#include "common/program_help.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, data_dir, "roost-data", "Where the data lives.");
ABSL_FLAG(int, limit, 20,
          "A long help that goes on and on so that it has to be wrapped over more than one "
          "line of the help's output, as a long flag's help would.");
ABSL_FLAG(std::string, token_file, "", "Empty by default.");

namespace roost {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ProgramHelpTest, ListsTheProgramsOwnFlagsWithDashesDefaultsAndWrappedHelp) {
  const std::string help = ProgramHelp("does things.\nUsage: prog [flags]", "program_help_test.cc");
  EXPECT_THAT(help, HasSubstr("does things.\nUsage: prog [flags]\n\nFlags:\n"));
  EXPECT_THAT(help, HasSubstr("  --data-dir (default roost-data)\n      Where the data lives.\n"));
  EXPECT_THAT(help, HasSubstr("  --token-file\n      Empty by default.\n"));
  // Sorted by name, wrapped, and nothing of Abseil's own flags or of source files.
  EXPECT_LT(help.find("--data-dir"), help.find("--limit"));
  EXPECT_LT(help.find("--limit"), help.find("--token-file"));
  for (absl::string_view line : absl::StrSplit(help, '\n')) EXPECT_LE(line.size(), 88u) << line;
  EXPECT_THAT(help, Not(HasSubstr("--flagfile")));
  EXPECT_THAT(help, Not(HasSubstr(".cc")));
  EXPECT_THAT(help, HasSubstr("--helpfull"));
}

TEST(ProgramHelpTest, AnswersHelpFlagsOnlyBeforeADoubleDash) {
  char prog[] = "prog", help[] = "--help", h[] = "-h", dashes[] = "--", other[] = "--limit=3";
  char* asks[] = {prog, other, help};
  char* short_form[] = {prog, h};
  char* after_dashes[] = {prog, dashes, help};
  char* none[] = {prog, other};
  ::testing::internal::CaptureStdout();
  EXPECT_TRUE(PrintHelpIfAsked(3, asks, "usage", "program_help_test.cc"));
  EXPECT_TRUE(PrintHelpIfAsked(2, short_form, "usage", "program_help_test.cc"));
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), HasSubstr("--data-dir"));
  EXPECT_FALSE(PrintHelpIfAsked(3, after_dashes, "usage", "program_help_test.cc"));
  EXPECT_FALSE(PrintHelpIfAsked(2, none, "usage", "program_help_test.cc"));
}

}  // namespace
}  // namespace roost
