#ifndef MOIR_KERNELS_REFERENCE_DETECTION_HPP
#define MOIR_KERNELS_REFERENCE_DETECTION_HPP

// Reference kernels of SSD's detection ops: PriorBox, PriorBoxClustered (default boxes of a
// feature map) and DetectionOutput (box decoding, per-class non-maximum suppression, the best
// boxes of each image), computed in double as Caffe's SSD layers define them; and
// NonMaxSuppression (ops::non_max_suppression::select).

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/detection_output.hpp>
#include <moir/ops/non_max_suppression.hpp>
#include <moir/ops/prior_box.hpp>
#include <moir/ops/prior_box_clustered.hpp>

#include <algorithm>  // clamp, max, min, stable_sort
#include <cmath>      // exp, sqrt
#include <cstddef>    // size_t
#include <cstdint>    // int64_t
#include <map>        // map
#include <string>     // to_string
#include <string>     // to_string
#include <tuple>      // tuple
#include <type_traits>  // is_floating_point_v, is_same_v
#include <utility>    // pair
#include <vector>     // vector

namespace moir::kernels {

namespace reference {
/// Writes doubles into a floating-point output tensor.
template <class Op>
void store(const std::vector<double>& y, tensor& out) {
    visit_element_type(out.type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>) {
            T* o = out.data<T>();
            for (std::size_t i = 0; i < y.size(); ++i) o[i] = convert_value<T>(y[i]);
        } else {
            detail::unsupported_type(Op::ir_name, out.type());
        }
    });
}

/// The variances row of a prior-box output: 4 values per box.
inline void prior_variances(const std::vector<float>& var, std::size_t boxes, std::vector<double>& y) {
    const std::size_t half = y.size() / 2;
    for (std::size_t b = 0; b < boxes; ++b)
        for (std::size_t k = 0; k < 4; ++k)
            y[half + b * 4 + k] = var.empty() ? 0.1 : var.size() == 1 ? var[0] : var[k];
}
}  // namespace reference

template <>
struct reference_kernel<ops::prior_box> {
    static constexpr bool available = true;
    static void run(const ops::prior_box::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        MOIR_CHECK(a.density.empty() && a.fixed_ratio.empty() && a.fixed_size.empty() && a.scale_all_sizes,
                   unsupported_error, "PriorBox: density, fixed_ratio, fixed_size and scale_all_sizes false are not supported");
        const auto hw = in[0].to_vector<std::int64_t>();
        const auto img = in[1].to_vector<std::int64_t>();
        const double img_h = static_cast<double>(img[0]), img_w = static_cast<double>(img[1]);
        const double step_y = a.step > 0 ? a.step : img_h / static_cast<double>(hw[0]);
        const double step_x = a.step > 0 ? a.step : img_w / static_cast<double>(hw[1]);
        const std::vector<float> ars = ops::prior_box::aspect_ratios(a);
        std::vector<double> y(out[0].numel());
        std::size_t k = 0;
        const auto box = [&](double cx, double cy, double bw, double bh) {
            const double v[4] = {(cx - bw / 2) / img_w, (cy - bh / 2) / img_h, (cx + bw / 2) / img_w, (cy + bh / 2) / img_h};
            for (double c : v) y[k++] = a.clip ? std::clamp(c, 0.0, 1.0) : c;
        };
        for (std::int64_t h = 0; h < hw[0]; ++h)
            for (std::int64_t w = 0; w < hw[1]; ++w) {
                const double cx = (static_cast<double>(w) + a.offset) * step_x;
                const double cy = (static_cast<double>(h) + a.offset) * step_y;
                for (std::size_t s = 0; s < a.min_size.size(); ++s) {
                    const double ms = a.min_size[s];
                    const auto ratios = [&] {
                        for (std::size_t r = 1; r < ars.size(); ++r) {
                            const double q = std::sqrt(static_cast<double>(ars[r]));
                            box(cx, cy, ms * q, ms / q);
                        }
                    };
                    box(cx, cy, ms, ms);
                    if (!a.min_max_aspect_ratios_order) ratios();
                    if (!a.max_size.empty()) {
                        const double side = std::sqrt(ms * static_cast<double>(a.max_size[s]));
                        box(cx, cy, side, side);
                    }
                    if (a.min_max_aspect_ratios_order) ratios();
                }
            }
        reference::prior_variances(a.variance, k / 4, y);
        reference::store<ops::prior_box>(y, out[0]);
    }
};

template <>
struct reference_kernel<ops::prior_box_clustered> {
    static constexpr bool available = true;
    static void run(const ops::prior_box_clustered::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const auto hw = in[0].to_vector<std::int64_t>();
        const auto img = in[1].to_vector<std::int64_t>();
        const double img_h = static_cast<double>(img[0]), img_w = static_cast<double>(img[1]);
        double step_x = a.step_widths, step_y = a.step_heights;
        if (step_x == 0 && step_y == 0) step_x = step_y = a.step;
        if (step_x == 0 && step_y == 0) {
            step_x = img_w / static_cast<double>(hw[1]);
            step_y = img_h / static_cast<double>(hw[0]);
        }
        std::vector<double> y(out[0].numel());
        std::size_t k = 0;
        for (std::int64_t h = 0; h < hw[0]; ++h)
            for (std::int64_t w = 0; w < hw[1]; ++w) {
                const double cx = (static_cast<double>(w) + a.offset) * step_x;
                const double cy = (static_cast<double>(h) + a.offset) * step_y;
                for (std::size_t s = 0; s < a.width.size(); ++s) {
                    const double bw = a.width[s], bh = a.height[s];
                    const double v[4] = {(cx - bw / 2) / img_w, (cy - bh / 2) / img_h, (cx + bw / 2) / img_w,
                                         (cy + bh / 2) / img_h};
                    for (double c : v) y[k++] = a.clip ? std::clamp(c, 0.0, 1.0) : c;
                }
            }
        reference::prior_variances(a.variance, k / 4, y);
        reference::store<ops::prior_box_clustered>(y, out[0]);
    }
};

namespace reference {
struct det_box {
    double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};
/// Intersection over union of normalized boxes (0 for disjoint or empty ones), as Caffe's JaccardOverlap.
inline double iou(const det_box& a, const det_box& b) {
    if (b.x1 > a.x2 || b.x2 < a.x1 || b.y1 > a.y2 || b.y2 < a.y1) return 0.0;
    const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1), ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
    const double inter = iw * ih;
    const auto area = [](const det_box& x) {
        return x.x2 < x.x1 || x.y2 < x.y1 ? 0.0 : (x.x2 - x.x1) * (x.y2 - x.y1);
    };
    const double u = area(a) + area(b) - inter;
    return u <= 0 ? 0.0 : inter / u;
}
inline det_box clipped(det_box b) {
    b.x1 = std::clamp(b.x1, 0.0, 1.0), b.y1 = std::clamp(b.y1, 0.0, 1.0);
    b.x2 = std::clamp(b.x2, 0.0, 1.0), b.y2 = std::clamp(b.y2, 0.0, 1.0);
    return b;
}
}  // namespace reference

template <>
struct reference_kernel<ops::detection_output> {
    static constexpr bool available = true;
    static void run(const ops::detection_output::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        using reference::det_box;
        MOIR_CHECK(a.normalized, unsupported_error, "DetectionOutput: only normalized boxes are supported");
        const auto loc = in[0].to_vector<double>();
        const auto conf = in[1].to_vector<double>();
        const auto pr = in[2].to_vector<double>();
        const shape& ps = in[2].dims();
        const std::int64_t n = in[0].dims()[0], p = ps[2] / 4, c = a.num_classes;
        const bool per_image_priors = ps[0] > 1;
        const bool center = a.code_type == "caffe.PriorBoxParameter.CENTER_SIZE";
        const std::int64_t loc_classes = a.share_location ? 1 : c;
        // the decoded box of prior i for class cls
        const auto box_of = [&](const std::vector<det_box>& boxes, std::int64_t i, std::int64_t cls) -> const det_box& {
            return boxes[static_cast<std::size_t>((a.share_location ? 0 : cls) * p + i)];
        };
        const std::int64_t rows = out[0].dims()[2];
        std::vector<double> y(out[0].numel(), 0.0);
        std::int64_t row = 0;
        for (std::int64_t img = 0; img < n; ++img) {
            // decode: one set of boxes (share_location), or one per class
            const std::size_t pbase = per_image_priors ? static_cast<std::size_t>(img * ps[1] * ps[2]) : 0;
            std::vector<det_box> boxes(static_cast<std::size_t>(p * loc_classes));
            for (std::int64_t j = 0; j < p * loc_classes; ++j) {
                const std::int64_t i = j % p, lc = j / p;
                const double* pb = &pr[pbase + static_cast<std::size_t>(i * 4)];
                double var[4] = {1, 1, 1, 1};
                if (!a.variance_encoded_in_target) {
                    MOIR_CHECK(ps[1] == 2, shape_error, "DetectionOutput: proposals need a variance row");
                    for (int k = 0; k < 4; ++k) var[k] = pr[pbase + static_cast<std::size_t>(ps[2] + i * 4 + k)];
                }
                const double* l = &loc[static_cast<std::size_t>(((img * p + i) * loc_classes + lc) * 4)];
                det_box b;
                if (center) {
                    const double pw = pb[2] - pb[0], ph = pb[3] - pb[1];
                    const double pcx = (pb[0] + pb[2]) / 2, pcy = (pb[1] + pb[3]) / 2;
                    const double cx = var[0] * l[0] * pw + pcx, cy = var[1] * l[1] * ph + pcy;
                    const double w = std::exp(var[2] * l[2]) * pw, h = std::exp(var[3] * l[3]) * ph;
                    b = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
                } else {
                    b = {pb[0] + var[0] * l[0], pb[1] + var[1] * l[1], pb[2] + var[2] * l[2], pb[3] + var[3] * l[3]};
                }
                boxes[static_cast<std::size_t>(j)] = a.clip_before_nms ? reference::clipped(b) : b;
            }
            // per-class candidates and NMS
            std::map<std::int64_t, std::vector<std::int64_t>> kept;
            std::size_t total = 0;
            const auto score = [&](std::int64_t i, std::int64_t cls) {
                return conf[static_cast<std::size_t>((img * p + i) * c + cls)];
            };
            for (std::int64_t cls = 0; cls < c; ++cls) {
                if (cls == a.background_label_id) continue;
                std::vector<std::pair<double, std::int64_t>> cand;
                for (std::int64_t i = 0; i < p; ++i)
                    if (score(i, cls) > a.confidence_threshold) cand.emplace_back(score(i, cls), i);
                std::stable_sort(cand.begin(), cand.end(), [](const auto& x, const auto& z) { return x.first > z.first; });
                if (a.top_k > -1 && static_cast<std::int64_t>(cand.size()) > a.top_k) cand.resize(static_cast<std::size_t>(a.top_k));
                std::vector<std::int64_t>& keep = kept[cls];
                for (const auto& [s, i] : cand) {
                    bool ok = true;
                    for (auto j : keep)
                        if (reference::iou(box_of(boxes, i, cls), box_of(boxes, j, cls)) > a.nms_threshold) {
                            ok = false;
                            break;
                        }
                    if (ok) keep.push_back(i);
                }
                total += keep.size();
            }
            // the image's best keep_top_k
            const std::int64_t keep_top = a.keep_top_k[0];
            if (keep_top > -1 && static_cast<std::int64_t>(total) > keep_top) {
                std::vector<std::tuple<double, std::int64_t, std::int64_t>> all;
                for (const auto& [cls, idx] : kept)
                    for (auto i : idx) all.emplace_back(score(i, cls), cls, i);
                std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& z) { return std::get<0>(x) > std::get<0>(z); });
                all.resize(static_cast<std::size_t>(keep_top));
                std::map<std::int64_t, std::vector<std::int64_t>> best;
                for (const auto& [s, cls, i] : all) best[cls].push_back(i);
                kept.swap(best);
            }
            for (const auto& [cls, idx] : kept)
                for (auto i : idx) {
                    if (row >= rows) break;
                    const det_box b = a.clip_after_nms ? reference::clipped(box_of(boxes, i, cls)) : box_of(boxes, i, cls);
                    double* r = &y[static_cast<std::size_t>(row * 7)];
                    r[0] = static_cast<double>(img);
                    r[1] = static_cast<double>(a.decrease_label_id ? cls - 1 : cls);
                    r[2] = score(i, cls);
                    r[3] = b.x1, r[4] = b.y1, r[5] = b.x2, r[6] = b.y2;
                    ++row;
                }
        }
        if (row < rows) y[static_cast<std::size_t>(row * 7)] = -1.0;
        reference::store<ops::detection_output>(y, out[0]);
    }
};

template <>
struct reference_kernel<ops::non_max_suppression> {
    static constexpr bool available = true;
    static void run(const ops::non_max_suppression::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        std::vector<const tensor*> optional;
        for (std::size_t i = 2; i < in.size(); ++i) optional.push_back(&in[i]);
        const auto sel = ops::non_max_suppression::select(a, in[0].converted(element_type::f32),
                                                          in[1].converted(element_type::f32),
                                                          ops::non_max_suppression::thresholds_of(optional));
        MOIR_CHECK(static_cast<std::int64_t>(sel.size()) == out[0].dims()[0], error,
                   "NonMaxSuppression selected " + std::to_string(sel.size()) + " boxes, its output holds " +
                       std::to_string(out[0].dims()[0]));
        const auto index = [](tensor& t, std::size_t i, std::int64_t v) {
            if (t.type() == element_type::i32) t.data<std::int32_t>()[i] = static_cast<std::int32_t>(v);
            else t.data<std::int64_t>()[i] = v;
        };
        std::vector<double> scores(sel.size() * 3);
        for (std::size_t j = 0; j < sel.size(); ++j) {
            index(out[0], j * 3, sel[j].batch);
            index(out[0], j * 3 + 1, sel[j].cls);
            index(out[0], j * 3 + 2, sel[j].box);
            scores[j * 3] = static_cast<double>(sel[j].batch);
            scores[j * 3 + 1] = static_cast<double>(sel[j].cls);
            scores[j * 3 + 2] = sel[j].score;
        }
        reference::store<ops::non_max_suppression>(scores, out[1]);
        index(out[2], 0, static_cast<std::int64_t>(sel.size()));
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_DETECTION_HPP
