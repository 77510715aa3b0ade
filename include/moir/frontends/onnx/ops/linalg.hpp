#ifndef MOIR_FRONTENDS_ONNX_OPS_LINALG_HPP
#define MOIR_FRONTENDS_ONNX_OPS_LINALG_HPP

// ONNX linear-algebra ops -> moir ops: Det (moir's Det op).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/det.hpp>

namespace moir::onnx {

/// Registers Det.
template <class = void>  // compiled only where a table is built
void register_linalg(op_table& t) {
    t.add("Det", [](context& c) { c.set_output(0, c.add<moir::ops::det>({}, {c.input(0)})); }, 11);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_LINALG_HPP
