#ifndef MOIR_PASSES_QUANTIZE_INT8_LAYERS_HPP
#define MOIR_PASSES_QUANTIZE_INT8_LAYERS_HPP

// The layers INT8 quantization applies to, one description per op type, and the list of them
// (int8_layers). A description says which inputs are activations (they get a FakeQuantize, from
// calibrated ranges), which input holds the weights (stored i8 with a per-output-channel scale), and
// the shape of that scale for weights of a given shape. Adding a quantizable op = one struct here
// and one line in int8_layers; calibrate_int8 and quantize_int8 read only this list.

#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>
#include <moir/ops/matmul.hpp>

#include <array>             // array
#include <cstddef>           // size_t
#include <initializer_list>  // initializer_list
#include <vector>            // vector

namespace moir::passes {

/// No weights input (int8 layer descriptions).
inline constexpr std::size_t no_weights = static_cast<std::size_t>(-1);

namespace detail {
/// A scale shape of w's rank: 1 everywhere but on the given axes, which keep w's dims.
inline shape channel_scale_shape(const shape& w, std::initializer_list<std::size_t> axes) {
    shape s(w.size(), 1);
    for (std::size_t a : axes)
        if (a < w.size()) s[a] = w[a];
    return s;
}
}  // namespace detail

/// Convolution: data (input 0) is the activation; weights [Cout, Cin, k...] scale [Cout, 1, 1, ...].
struct int8_convolution {
    using op = ops::convolution;
    static constexpr std::array<std::size_t, 1> activations{0};
    static constexpr std::size_t weights = 1;
    static constexpr bool weights_required = true;  ///< skip the layer when its weights are not constant
    static shape scale_shape(const node&, const shape& w) { return detail::channel_scale_shape(w, {0}); }
};

/// GroupConvolution: weights [G, Cout/G, Cin/G, k...], scale [G, Cout/G, 1, 1, ...].
struct int8_group_convolution {
    using op = ops::group_convolution;
    static constexpr std::array<std::size_t, 1> activations{0};
    static constexpr std::size_t weights = 1;
    static constexpr bool weights_required = true;
    static shape scale_shape(const node&, const shape& w) { return detail::channel_scale_shape(w, {0, 1}); }
};

/// ConvolutionBackpropData: weights [Cin, Cout, k...], scale [1, Cout, 1, ...].
struct int8_convolution_backprop_data {
    using op = ops::convolution_backprop_data;
    static constexpr std::array<std::size_t, 1> activations{0};
    static constexpr std::size_t weights = 1;
    static constexpr bool weights_required = true;
    static shape scale_shape(const node&, const shape& w) { return detail::channel_scale_shape(w, {1}); }
};

/// GroupConvolutionBackpropData: weights [G, Cin/G, Cout/G, k...], scale [G, 1, Cout/G, 1, ...].
struct int8_group_convolution_backprop_data {
    using op = ops::group_convolution_backprop_data;
    static constexpr std::array<std::size_t, 1> activations{0};
    static constexpr std::size_t weights = 1;
    static constexpr bool weights_required = true;
    static shape scale_shape(const node&, const shape& w) { return detail::channel_scale_shape(w, {0, 2}); }
};

/// MatMul: every non-constant input is an activation (both, in attention); a constant f32 B is the
/// weights, per output column: [.., K, N] -> scale [.., 1, N]; transpose_b [.., N, K] -> [.., N, 1];
/// a rank-1 B has one scale.
struct int8_matmul {
    using op = ops::matmul;
    static constexpr std::array<std::size_t, 2> activations{0, 1};
    static constexpr std::size_t weights = 1;
    static constexpr bool weights_required = false;
    static shape scale_shape(const node& n, const shape& w) {
        if (w.size() < 2) return shape(w.size(), 1);
        const bool tb = n.attrs_as<ops::matmul>().transpose_b;
        return detail::channel_scale_shape(w, {tb ? w.size() - 2 : w.size() - 1});
    }
};

/// Every op INT8 quantizes, in no particular order.
using int8_layers = type_list<int8_convolution, int8_group_convolution, int8_convolution_backprop_data,
                              int8_group_convolution_backprop_data, int8_matmul>;

/// What int8_layers says about one node: whether it is quantizable, its activation inputs, its
/// weights input (no_weights when none) and whether the weights must be constant.
struct int8_layer_info {
    bool quantizable = false;
    std::vector<std::size_t> activations;
    std::size_t weights = no_weights;
    bool weights_required = false;
    shape (*scale_shape)(const node&, const shape&) = nullptr;
};

/// The description of node n from int8_layers (quantizable = false when its op is not listed).
inline int8_layer_info int8_layer_of(const node& n) {
    int8_layer_info info;
    for_each_type(int8_layers{}, [&](auto tag) {
        using L = typename decltype(tag)::type;
        if (info.quantizable || !n.is<typename L::op>()) return;
        info.quantizable = true;
        info.activations.assign(L::activations.begin(), L::activations.end());
        info.weights = L::weights;
        info.weights_required = L::weights_required;
        info.scale_shape = &L::scale_shape;
    });
    return info;
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_QUANTIZE_INT8_LAYERS_HPP
