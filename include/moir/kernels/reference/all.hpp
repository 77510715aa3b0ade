#ifndef MOIR_KERNELS_REFERENCE_ALL_HPP
#define MOIR_KERNELS_REFERENCE_ALL_HPP

// Every reference kernel: the oracle of each op in moir::opsets::all.

#include <moir/kernels/reference/convert.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/kernels/reference/io.hpp>
// group A kernels
// group A kernels end
// group B kernels
// group B kernels end

#endif  // MOIR_KERNELS_REFERENCE_ALL_HPP
