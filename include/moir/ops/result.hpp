#ifndef MOIR_OPS_RESULT_HPP
#define MOIR_OPS_RESULT_HPP

#include <moir/core/op.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// result: a model output. requires: one input. ensures: no outputs (the executor reports the input).
struct result {
    static constexpr std::string_view name = "result", ir_name = "Result", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs&) { return {}; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_RESULT_HPP
