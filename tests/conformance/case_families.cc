#include "tests/conformance/case_families.h"

namespace edgerun::conformance {

// Families (one cases_<family>.cc each) declare their adder here.
// void AddConvCases(std::vector<ConformanceCase>& cases);
void AddBinaryCases(std::vector<ConformanceCase>& cases);
void AddConvCases(std::vector<ConformanceCase>& cases);
void AddUnaryCases(std::vector<ConformanceCase>& cases);
void AddMovementCases(std::vector<ConformanceCase>& cases);
void AddMatrixCases(std::vector<ConformanceCase>& cases);

std::vector<ConformanceCase> AllCases() {
  std::vector<ConformanceCase> cases;
  // AddConvCases(cases);
  AddBinaryCases(cases);
  AddConvCases(cases);
  AddUnaryCases(cases);
  AddMovementCases(cases);
  AddMatrixCases(cases);
  return cases;
}

}  // namespace edgerun::conformance
