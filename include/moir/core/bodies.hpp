#ifndef MOIR_CORE_BODIES_HPP
#define MOIR_CORE_BODIES_HPP

// What the ops that own bodies (If, Loop, TensorIterator) share for shape inference: inferring a body
// for given Parameter descriptions, on a copy, and merging the shapes two bodies give.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/ops/parameter.hpp>

#include <cstddef>  // size_t
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir {

/// The shape that fits both a and b: equal dims kept, differing ones dynamic; a rank-dynamic shape
/// when the ranks differ.
inline partial_shape merge_shapes(const partial_shape& a, const partial_shape& b) {
    if (a.rank_dynamic || b.rank_dynamic || a.rank() != b.rank()) return partial_shape::dynamic();
    partial_shape m = a;
    for (std::size_t i = 0; i < a.rank(); ++i)
        if (a.dims[i] != b.dims[i]) m.dims[i] = dynamic_dim;
    return m;
}

/// The Results of `body` (types, shapes, values of constant producers) when its Parameters receive
/// `params` (one per body Parameter, in order). Inferred on a copy: `body` is not changed. A
/// Parameter takes the shape it is fed, unless that shape's rank is unknown.
/// ensures: throws moir::shape_error naming `what` and the Parameter when a type does not fit.
inline port_descs infer_body(const model& body, const port_descs& params, const std::string& what) {
    MOIR_CHECK(params.size() == body.parameters.size(), shape_error,
               what + " has " + std::to_string(body.parameters.size()) + " parameters, " +
                   std::to_string(params.size()) + " are fed");
    model copy = body;
    for (std::size_t j = 0; j < params.size(); ++j) {
        auto& pa = copy.at(copy.parameters[j]).attrs_as<ops::parameter>();
        MOIR_CHECK(params[j].type == pa.element_type || params[j].type == element_type::undefined, shape_error,
                   what + ": parameter " + std::to_string(j) + " ('" + copy.input_name(j) + "') is " +
                       std::string(ir_name(pa.element_type)) + ", it is fed " + std::string(ir_name(params[j].type)));
        if (!params[j].shape.rank_dynamic || pa.shape.rank_dynamic) pa.shape = params[j].shape;
    }
    try {
        copy.validate();
    } catch (const std::exception& e) {
        throw shape_error(what + ": " + e.what());
    }
    port_descs out;
    for (std::size_t i = 0; i < copy.results.size(); ++i) {
        const output_ref r = copy.output(i);
        const auto& p = copy.port(r);
        out.push_back(port_desc{p.type, p.shape, {}});
        const node& src = copy.at(r.node);
        if (src.is<ops::constant>()) out.back().value = src.attrs_as<ops::constant>().value;
    }
    return out;
}

}  // namespace moir

#endif  // MOIR_CORE_BODIES_HPP
