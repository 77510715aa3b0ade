#ifndef MOIR_OPS_DFT_HPP
#define MOIR_OPS_DFT_HPP

#include <moir/ops/detail/dft.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// dft: the discrete Fourier transform y[k] = sum_n x[n] e^(-2 pi i k n / N) of complex data [..., 2]
/// (re, im in the last axis) along each axis of the 2nd input (negative axes count from the end of
/// the signal axes, i.e. without the complex axis), unnormalized. The optional 3rd input gives a
/// signal size N per axis (-1: the axis's extent): the data is cut or zero-padded to it first.
/// IR: DFT of opset7. requires/ensures: as detail::infer_dft.
struct dft {
    static constexpr std::string_view name = "dft", ir_name = "DFT", ir_opset = "opset7";
    static constexpr std::size_t min_inputs = 2, max_inputs = 3;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) { return detail::infer_dft(in); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_DFT_HPP
