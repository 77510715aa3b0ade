// Two libraries that moir must refuse to load as extensions (tests/unit/extensions): without
// WITH_ABI_TAG it exports neither symbol of an extension; with it, an extension built for another
// moir and compiler (its tag differs; its registration function must never run).

#include <cstdlib>  // abort

extern "C" {
int moir_not_an_extension = 1;
#if defined(WITH_ABI_TAG)
__attribute__((visibility("default"))) const char* moir_extension_abi() { return "moir 0.0.1; gcc 4.8.5; c++ 201103"; }
__attribute__((visibility("default"))) void moir_register_extension(void*) { std::abort(); }
#endif
}
