#include "tests/support/temp_tree.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace oom::testing {

namespace fs = std::filesystem;

TempTree::TempTree() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
      "/oom_exporter_test.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  }
  root_ = pattern;
}

TempTree::~TempTree() {
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

void TempTree::WriteFile(std::string_view relative, std::string_view content) {
  fs::path path = fs::path(root_) / relative;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

void TempTree::MakeDir(std::string_view relative) {
  fs::create_directories(fs::path(root_) / relative);
}

void TempTree::CopyFixture(std::string_view fixture,
                           std::string_view relative) {
  fs::path to = fs::path(root_) / relative;
  fs::create_directories(to);
  fs::copy(SourcePath(std::string("tests/fixtures/") + std::string(fixture)),
           to,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

std::string SourcePath(std::string_view relative) {
  return (fs::path(OOM_SOURCE_DIR) / relative).string();
}

std::string ReadSourceFile(std::string_view relative) {
  std::ifstream in(SourcePath(relative), std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << SourcePath(relative);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace oom::testing
