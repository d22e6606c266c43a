// The registrations of collectors (collectors/scrape/collector_registry.h):
// flags bound to the fields of an options struct, their checks and the
// defaults --help shows, and the registry's order, lookup and factories.

#include "collectors/scrape/collector_registry.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct TestOptions {
  std::string text = "default";
  std::vector<std::string> list = {"*"};
  std::chrono::milliseconds duration = std::chrono::hours(1);
  std::size_t count = 3;
  bool on = false;
};

std::string Error(const absl::Status& status) {
  return std::string(status.message());
}

TEST(CollectorFlagTest, EachKindSetsItsFieldAndShowsIt) {
  CollectorOptions options = TestOptions();
  CollectorFlag text = TextFlag("text", &TestOptions::text, "Text");
  CollectorFlag list = ListFlag("list", &TestOptions::list, "List");
  CollectorFlag duration =
      DurationFlag("duration", &TestOptions::duration, "Duration");
  CollectorFlag count = CountFlag("count", &TestOptions::count, "Count", 10);
  CollectorFlag on = SwitchFlag("on", &TestOptions::on, "On");
  EXPECT_EQ(text.kind, FlagKind::kText);
  EXPECT_EQ(list.kind, FlagKind::kText);
  EXPECT_EQ(duration.kind, FlagKind::kText);
  EXPECT_EQ(count.kind, FlagKind::kCount);
  EXPECT_EQ(on.kind, FlagKind::kSwitch);
  EXPECT_EQ(count.name, "count");
  EXPECT_EQ(count.help, "Count");

  EXPECT_EQ(text.show(options), "default");
  EXPECT_EQ(list.show(options), "*");
  EXPECT_EQ(duration.show(options), "1h");
  EXPECT_EQ(count.show(options), "3");
  EXPECT_EQ(on.show(options), "false");

  EXPECT_TRUE(text.set("", options).ok());
  EXPECT_TRUE(list.set("a,,b", options).ok());
  EXPECT_TRUE(duration.set("1h30m", options).ok());
  EXPECT_TRUE(count.set("10", options).ok());
  EXPECT_TRUE(on.set("true", options).ok());
  const TestOptions& set = std::any_cast<const TestOptions&>(options);
  EXPECT_EQ(set.text, "");
  EXPECT_THAT(set.list, ElementsAre("a", "b"));
  EXPECT_EQ(set.duration, std::chrono::minutes(90));
  EXPECT_EQ(set.count, 10u);
  EXPECT_TRUE(set.on);
  EXPECT_EQ(list.show(options), "a,b");
  EXPECT_EQ(duration.show(options), "1h30m");

  EXPECT_TRUE(list.set("", options).ok());
  EXPECT_THAT(std::any_cast<const TestOptions&>(options).list, IsEmpty());
  EXPECT_TRUE(on.set("0", options).ok());
  EXPECT_FALSE(std::any_cast<const TestOptions&>(options).on);
}

TEST(CollectorFlagTest, BadValuesSayWhatIsWrongAndChangeNothing) {
  CollectorOptions options = TestOptions();
  CollectorFlag duration =
      DurationFlag("duration", &TestOptions::duration, "Duration");
  CollectorFlag count = CountFlag("count", &TestOptions::count, "Count", 10);
  CollectorFlag on = SwitchFlag("on", &TestOptions::on, "On");
  EXPECT_EQ(Error(duration.set("soon", options)),
            "\"soon\" is not a duration such as 1h, 30m or 90s");
  EXPECT_EQ(Error(count.set("0", options)),
            "\"0\" is not a number from 1 to 10");
  EXPECT_EQ(Error(count.set("11", options)),
            "\"11\" is not a number from 1 to 10");
  EXPECT_EQ(Error(count.set("-1", options)),
            "\"-1\" is not a number from 1 to 10");
  EXPECT_EQ(Error(on.set("maybe", options)), "\"maybe\" is not true or false");
  const TestOptions& unchanged = std::any_cast<const TestOptions&>(options);
  EXPECT_EQ(unchanged.duration, std::chrono::hours(1));
  EXPECT_EQ(unchanged.count, 3u);
  EXPECT_FALSE(unchanged.on);
}

TEST(ParseValueTest, CountsSwitchesAndLists) {
  EXPECT_EQ(ParseCountValue("1", 5).value(), 1u);
  EXPECT_EQ(ParseCountValue("5", 5).value(), 5u);
  EXPECT_FALSE(ParseCountValue("", 5).ok());
  EXPECT_FALSE(ParseCountValue("6", 5).ok());
  EXPECT_FALSE(ParseCountValue("+1", 5).ok());
  EXPECT_EQ(ParseSwitchValue("1").value(), true);
  EXPECT_EQ(ParseSwitchValue("false").value(), false);
  EXPECT_FALSE(ParseSwitchValue("yes").ok());
  EXPECT_THAT(ParseListValue(",a,b,"), ElementsAre("a", "b"));
  EXPECT_EQ(ShowListValue({"x", "y"}), "x,y");
  EXPECT_EQ(ShowListValue({}), "");
}

// A collector that remembers the options it was made with.
class Made : public Collector {
 public:
  explicit Made(TestOptions options) : options(std::move(options)) {}
  absl::Status Collect(MetricSink&) override { return absl::OkStatus(); }
  TestOptions options;
};

CollectorRegistration Registration(std::string name) {
  CollectorRegistration registration;
  registration.name = std::move(name);
  registration.help = "help";
  registration.flags = {CountFlag("count", &TestOptions::count, "Count", 10)};
  SetFactory<TestOptions>(&registration,
                          [](const FsRoots&, const TestOptions& options) {
                            return std::make_unique<Made>(options);
                          });
  return registration;
}

TEST(CollectorRegistryTest, OrdersFindsAndBuilds) {
  CollectorRegistry registry(
      {Registration("a"), Registration("b"), Registration("c")}, {"c", "a"});
  std::vector<std::string> order;
  for (const CollectorRegistration* collector : registry.InFlagsOrder()) {
    order.push_back(collector->name);
  }
  EXPECT_THAT(order, ElementsAre("c", "a", "b"));
  ASSERT_NE(registry.Find("b"), nullptr);
  EXPECT_EQ(registry.Find("b")->name, "b");
  EXPECT_EQ(registry.Find("d"), nullptr);

  CollectorOptionsMap options = registry.Defaults();
  EXPECT_EQ(OptionsOf<TestOptions>(options, "a").count, 3u);
  ASSERT_TRUE(registry.Find("b")->flags[0].set("7", options["b"]).ok());
  options.erase("c");  // no entry: its defaults
  std::shared_ptr<ScrapeRegistry> built =
      registry.Build({"b", "c", "unknown"}, FsRoots(), options);
  std::vector<std::string> names;
  for (const CollectorStatus& status : built->Statuses()) {
    names.push_back(status.name);
  }
  EXPECT_THAT(names, ElementsAre("b", "c"));
}

TEST(CollectorRegistryTest, FactoriesGetTheirOptions) {
  CollectorRegistration registration = Registration("a");
  CollectorOptions options = registration.defaults();
  ASSERT_TRUE(registration.flags[0].set("9", options).ok());
  std::unique_ptr<Collector> made = registration.factory(FsRoots(), options);
  EXPECT_EQ(static_cast<Made&>(*made).options.count, 9u);
}

}  // namespace
}  // namespace oom
