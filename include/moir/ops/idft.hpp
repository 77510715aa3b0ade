#ifndef MOIR_OPS_IDFT_HPP
#define MOIR_OPS_IDFT_HPP

#include <moir/ops/detail/dft.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// idft: the inverse discrete Fourier transform y[n] = (1/N) sum_k x[k] e^(2 pi i k n / N) of complex
/// data [..., 2] along each axis of the 2nd input, with DFT's axes and signal sizes. IR: IDFT of
/// opset7. requires/ensures: as detail::infer_dft.
struct idft {
    static constexpr std::string_view name = "idft", ir_name = "IDFT", ir_opset = "opset7";
    static constexpr std::size_t min_inputs = 2, max_inputs = 3;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) { return detail::infer_dft(in); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_IDFT_HPP
