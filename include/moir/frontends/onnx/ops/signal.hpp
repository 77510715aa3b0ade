#ifndef MOIR_FRONTENDS_ONNX_OPS_SIGNAL_HPP
#define MOIR_FRONTENDS_ONNX_OPS_SIGNAL_HPP

// ONNX signal ops -> moir ops:
//   DFT (opset 17 axis attribute, opset 20 axis input): DFT-7 / IDFT-7 along the axis; real input
//     ([..., 1]) gets a zero imaginary part first; onesided keeps bins 0 .. n / 2 (a Slice).
//   STFT: STFT-15 on the real signal [batch, length] (the last axis of 1 dropped); a missing window
//     is a rectangle of frame_length ones; the frame size is frame_length or the window's length.
//     Complex signals and onesided=0 are not supported.
//   HannWindow, HammingWindow, BlackmanWindow: Range, Cos and element-wise math
//     (w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size, or size - 1 when not periodic).
//   MelWeightMatrix: moir's MelWeightMatrix op.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/broadcast.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/cos.hpp>
#include <moir/ops/dft.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/idft.hpp>
#include <moir/ops/mel_weight_matrix.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/stft.hpp>
#include <moir/ops/subtract.hpp>

#include <cstdint>  // int64_t
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir::onnx {

namespace detail {
/// The ONNX output_datatype attribute as an element type (default f32).
inline element_type signal_datatype(const context& c) {
    const auto t = proto::to_element_type(static_cast<int>(c.attr_int("output_datatype", 1)));
    MOIR_CHECK(t && is_float(*t), unsupported_error, "output_datatype must be a floating type");
    return *t;
}

/// An integer scalar (or 1-element) input as a 1-D i64 tensor of one value.
inline output_ref signal_as_vector(context& c, output_ref v, const std::string& suffix) {
    if (c.model().port(v).type != element_type::i64) v = c.add<moir::ops::convert>({element_type::i64}, {v}, suffix + "/i64");
    return c.add<moir::ops::reshape>({false}, {v, c.constant(tensor::from_vector(std::vector<std::int64_t>{1}), suffix + "/shape")},
                                     suffix);
}

inline void dft(context& c) {
    const auto& xs = c.input_port(0).shape;
    MOIR_CHECK(!xs.rank_dynamic && xs.rank() >= 3, unsupported_error, "DFT needs an input of known rank >= 3");
    const std::size_t r = xs.rank();
    std::int64_t axis = c.attr_int("axis", 1);
    if (c.opset() >= 20) {
        axis = -2;
        if (c.has_input(2)) axis = c.require_const(2, "axis").at_as<std::int64_t>(0);
    }
    axis = static_cast<std::int64_t>(normalize_axis(axis, r));
    MOIR_CHECK(axis >= 1 && axis < static_cast<std::int64_t>(r) - 1, unsupported_error,
               "the DFT axis must be a signal axis (not the batch or the complex axis)");
    const bool inverse = c.attr_int("inverse", 0) != 0, onesided = c.attr_int("onesided", 0) != 0;
    MOIR_CHECK(!(inverse && onesided), unsupported_error, "an inverse onesided DFT is not supported");
    output_ref x = c.input(0);
    const std::int64_t last = xs.dims.back();
    MOIR_CHECK(last == 1 || last == 2, unsupported_error, "the last axis of the DFT input must be 1 (real) or 2 (complex)");
    if (last == 1) {  // real: append a zero imaginary part
        const output_ref zeros = c.add<moir::ops::broadcast>(
            {}, {c.constant(tensor::scalar(0.0f).converted(c.input_port(0).type), "/zero"),
                 c.add<moir::ops::shape_of>({element_type::i64}, {x}, "/shape")},
            "/imag");
        x = c.add<moir::ops::concat>({-1}, {x, zeros}, "/complex");
    }
    std::vector<output_ref> in{x, c.constant(tensor::from_vector(std::vector<std::int64_t>{axis}), "/axes")};
    std::int64_t n = xs.dims[static_cast<std::size_t>(axis)];
    if (c.has_input(1)) {
        in.push_back(signal_as_vector(c, c.input(1), "/signal_size"));
        n = -1;
        if (const auto v = c.const_input(1)) n = v->at_as<std::int64_t>(0);
    }
    const std::string suffix = onesided ? "/full" : "";
    output_ref y = inverse ? c.add<moir::ops::idft>({}, in, suffix) : c.add<moir::ops::dft>({}, in, suffix);
    if (onesided) {
        MOIR_CHECK(n > 0, unsupported_error, "a onesided DFT needs a known signal length");
        auto v = [&](std::int64_t x0, const std::string& s) {
            return c.constant(tensor::from_vector(std::vector<std::int64_t>{x0}), s);
        };
        y = c.add<moir::ops::slice>({}, {y, v(0, "/begin"), v(n / 2 + 1, "/end"), v(1, "/step"), v(axis, "/slice_axis")});
    }
    c.set_output(0, y);
}

inline void stft(context& c) {
    MOIR_CHECK(c.attr_int("onesided", 1) != 0, unsupported_error, "STFT with onesided=0 is not supported");
    const auto& xs = c.input_port(0).shape;
    MOIR_CHECK(!xs.rank_dynamic && xs.rank() == 3, unsupported_error, "STFT needs a signal [batch, length, 1 or 2]");
    MOIR_CHECK(xs.dims[2] == 1, unsupported_error, "STFT of a complex signal is not supported");
    const element_type et = c.input_port(0).type;
    const output_ref signal =
        c.add<moir::ops::squeeze>({}, {c.input(0), c.constant(tensor::from_vector(std::vector<std::int64_t>{2}), "/axis")},
                                  "/signal");
    MOIR_CHECK(c.has_input(2) || c.has_input(3), parse_error, "STFT needs a window or a frame_length");
    output_ref frame_size, window;
    if (c.has_input(3)) {
        frame_size = c.input(3);
        if (c.input_port(3).type != element_type::i64)
            frame_size = c.add<moir::ops::convert>({element_type::i64}, {frame_size}, "/frame_size");
    }
    if (c.has_input(2)) {
        window = c.input(2);
        if (!c.has_input(3)) {
            const auto& ws = c.input_port(2).shape;
            frame_size = ws.is_static() && ws.rank() == 1
                             ? c.constant(tensor::scalar<std::int64_t>(ws.dims[0]), "/frame_size")
                             : c.add<moir::ops::squeeze>({}, {c.add<moir::ops::shape_of>({element_type::i64}, {window}, "/window_shape")},
                                                         "/frame_size");
        }
    } else {
        window = c.add<moir::ops::broadcast>({}, {c.constant(tensor::scalar(1.0f).converted(et), "/one"),
                                                  signal_as_vector(c, frame_size, "/window_shape")},
                                             "/window");
    }
    c.set_output(0, c.add<moir::ops::stft>({false}, {signal, window, frame_size, c.input(1)}));
}

/// A cosine-sum window: a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N).
inline converter cosine_window(double a0, double a1, double a2) {
    return [a0, a1, a2](context& c) {
        const element_type out = signal_datatype(c);
        const element_type ft = element_type::f32;
        auto k = [&](double v, const std::string& s) { return c.constant(tensor::scalar(static_cast<float>(v)), s); };
        const output_ref n = c.add<moir::ops::range>(
            {ft}, {c.constant(tensor::scalar<std::int64_t>(0), "/start"), c.input(0), c.constant(tensor::scalar<std::int64_t>(1), "/step")},
            "/n");
        output_ref len = c.add<moir::ops::convert>({ft}, {c.input(0)}, "/size");
        if (c.attr_int("periodic", 1) == 0) len = c.add<moir::ops::subtract>({}, {len, k(1.0, "/one")}, "/symmetric_size");
        const output_ref angle = c.add<moir::ops::divide>(
            {}, {c.add<moir::ops::multiply>({}, {n, k(6.283185307179586, "/two_pi")}, "/angle_n"), len}, "/angle");
        output_ref w = c.add<moir::ops::subtract>(
            {}, {k(a0, "/a0"), c.add<moir::ops::multiply>({}, {c.add<moir::ops::cos>({}, {angle}, "/cos1"), k(a1, "/a1")}, "/term1")},
            a2 != 0.0 || out != ft ? "/w1" : "");
        if (a2 != 0.0) {
            const output_ref angle2 = c.add<moir::ops::multiply>({}, {angle, k(2.0, "/two")}, "/angle2");
            w = c.add<moir::ops::add>(
                {}, {w, c.add<moir::ops::multiply>({}, {c.add<moir::ops::cos>({}, {angle2}, "/cos2"), k(a2, "/a2")}, "/term2")},
                out != ft ? "/w2" : "");
        }
        if (out != ft) w = c.add<moir::ops::convert>({out}, {w});
        c.set_output(0, w);
    };
}

inline void mel_weight_matrix(context& c) {
    c.set_output(0, c.add<moir::ops::mel_weight_matrix>({signal_datatype(c)},
                                                        {c.input(0), c.input(1), c.input(2), c.input(3), c.input(4)}));
}
}  // namespace detail

/// Registers DFT, STFT, HannWindow, HammingWindow, BlackmanWindow and MelWeightMatrix.
template <class = void>  // compiled only where a table is built
void register_signal(op_table& t) {
    t.add("DFT", detail::dft, 17);
    t.add("STFT", detail::stft, 17);
    t.add("HannWindow", detail::cosine_window(0.5, 0.5, 0.0), 17);
    t.add("HammingWindow", detail::cosine_window(25.0 / 46.0, 21.0 / 46.0, 0.0), 17);
    t.add("BlackmanWindow", detail::cosine_window(0.42, 0.5, 0.08), 17);
    t.add("MelWeightMatrix", detail::mel_weight_matrix, 17);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_SIGNAL_HPP
