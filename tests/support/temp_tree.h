#ifndef OOM_EXPORTER_TESTS_SUPPORT_TEMP_TREE_H_
#define OOM_EXPORTER_TESTS_SUPPORT_TEMP_TREE_H_

// A temporary directory tree for fixtures built inside a test, removed when
// the object goes out of scope.

#include <string>
#include <string_view>

namespace oom::testing {

class TempTree {
 public:
  TempTree();  // Creates an empty directory under $TMPDIR (or /tmp).
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }

  // Writes `content` to root()/relative, creating parent directories.
  void WriteFile(std::string_view relative, std::string_view content);

  // Creates root()/relative and its parents.
  void MakeDir(std::string_view relative);

  // Copies the checked-in fixture tree tests/fixtures/`fixture` to
  // root()/relative.
  void CopyFixture(std::string_view fixture, std::string_view relative);

 private:
  std::string root_;
};

// Reads a file of the source tree, e.g. "tests/golden/e2e-output.txt".
std::string ReadSourceFile(std::string_view relative);

// The absolute path of a file or folder in the source tree.
std::string SourcePath(std::string_view relative);

}  // namespace oom::testing

#endif  // OOM_EXPORTER_TESTS_SUPPORT_TEMP_TREE_H_
