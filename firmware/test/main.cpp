// Host test binary. No argument: run the unit tests. `--validate`, `--encode` and
// `--press-contract` are the C++ halves of the cross-language contract test (see contract-cli.cpp).
#include <cstring>

#include "runner.h"

int contractValidate();
int contractEncode();
int contractPress();

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--validate") == 0) return contractValidate();
  if (argc > 1 && strcmp(argv[1], "--encode") == 0) return contractEncode();
  if (argc > 1 && strcmp(argv[1], "--press-contract") == 0) return contractPress();
  return svt::runAll();
}
