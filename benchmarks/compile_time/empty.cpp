// The floor of benchmarks/compile_time.sh: a program that includes moir and uses nothing, so its
// compile time is what parsing the header (and what the header's inline code instantiates) costs
// every program, whatever it calls.
#include <moir/moir.hpp>

int main() { return 0; }
