// Every family of conformance cases; add yours to AllCases() in
// case_families.cc.
#ifndef EDGERUN_TESTS_CONFORMANCE_CASE_FAMILIES_H_
#define EDGERUN_TESTS_CONFORMANCE_CASE_FAMILIES_H_

#include <vector>

#include "tests/conformance/conformance_case.h"

namespace edgerun::conformance {

std::vector<ConformanceCase> AllCases();

}  // namespace edgerun::conformance

#endif  // EDGERUN_TESTS_CONFORMANCE_CASE_FAMILIES_H_
