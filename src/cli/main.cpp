// moir: the command-line tool over moir's own frontends (moir::default_frontends). A program that
// adds a frontend of its own links the same subcommands (library moir_cli in CMakeLists.txt) and calls
// moir::cli::main with a longer list.

#include "cli.hpp"

#include <moir/frontends/frontends.hpp>

int main(int argc, char** argv) { return moir::cli::main(argc, argv, moir::default_registry()); }
