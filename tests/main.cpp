// The one translation unit that holds doctest's implementation and main(); every test file is a
// separate translation unit linked against it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
