// The moir tool with one more frontend than moir ships: moir's own list plus toy::frontend. Nothing
// in moir is edited for it: this file, toy.hpp and a CMake target are all there is.

#include "toy.hpp"

#include <cli.hpp>  // src/cli/: moir::cli::main

#include <moir/frontends/frontends.hpp>

int main(int argc, char** argv) {
    using frontends = moir::default_frontends::append<toy::frontend>;
    static const auto registry = moir::frontends::frontend_registry::of<frontends>();
    return moir::cli::main(argc, argv, registry);
}
