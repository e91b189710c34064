// gMock matchers and macros for Status / StatusOr in tests:
//
//   EXPECT_THAT(LoadModel(...), IsOk());
//   EXPECT_THAT(LoadModel(...),
//               StatusIs(StatusCode::kDataLoss, HasSubstr("no subgraphs")));
//   ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, builder.Finish());
//
// Thread-safety: as gMock.
#ifndef EDGERUN_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define EDGERUN_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

#include "edgerun/base/status.h"

namespace edgerun {

// Lets gtest print a StatusOr in failure messages.
template <typename T>
void PrintTo(const StatusOr<T>& value, std::ostream* os) {
  if (value.ok()) {
    *os << "OK (value)";
  } else {
    *os << value.status();
  }
}

namespace testing {

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const ::edgerun::Status& status = ::edgerun::internal::AsStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string(negation ? "isn't" : "is") + " a status with code " +
               std::string(::edgerun::StatusCodeName(code)) +
               " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher,
                                                       negation)) {
  const ::edgerun::Status& status = ::edgerun::internal::AsStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(status.message());
}

}  // namespace testing
}  // namespace edgerun

#define EDGERUN_TEST_CONCAT_INNER_(a, b) a##b
#define EDGERUN_TEST_CONCAT_(a, b) EDGERUN_TEST_CONCAT_INNER_(a, b)

// Declares `lhs` from a StatusOr, failing the test (ASSERT) when not OK.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                        \
  ASSERT_OK_AND_ASSIGN_IMPL_(EDGERUN_TEST_CONCAT_(status_or_value_, __LINE__), \
                             lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status();           \
  lhs = std::move(tmp).value()

#define EXPECT_OK(expr) EXPECT_THAT((expr), ::edgerun::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::edgerun::testing::IsOk())

#endif  // EDGERUN_TESTS_SUPPORT_STATUS_MATCHERS_H_
