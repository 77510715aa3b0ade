#ifndef MOIR_EXAMPLES_OCR_OCR_HPP
#define MOIR_EXAMPLES_OCR_OCR_HPP

// The PaddleOCR pipeline on moir, shared by examples/ocr/ocr.cpp (the command-line reader) and
// examples/ocr/accuracy.cpp (the accuracy harness): images, resizing and cropping, the text
// detector's post-processing (probability map -> boxes), the recognizer's greedy CTC decoding with
// the model's dictionary, edit distance over Unicode characters, and a pipeline running
// det -> crop -> cls -> rec on moir's compiled plan (runtime/plan.hpp).
//
// Preprocessing follows PaddleOCR's own (tools/infer/predict_{det,cls,rec}.py, as published):
//   det: the image resized so both sides are multiples of 32 (the longer side at most 960), BGR,
//        (x/255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225] per B, G, R channel;
//   cls: a crop resized to height 48 keeping its aspect (width at most 192), BGR, (x/255-0.5)/0.5,
//        right-padded with 0 up to 192;
//   rec: a crop resized to height 48 keeping its aspect, BGR, (x/255-0.5)/0.5, right-padded with 0
//        up to max(320, the crop's width rounded up to a multiple of 8).
// Detection post-processing approximates PaddleOCR's DB post-processing for horizontal text:
// threshold the probability map (0.3), 8-connected components, the axis-aligned bounding box of
// each (PaddleOCR fits a minimum-area rotated rectangle to the contour instead), score = mean
// probability inside that box (PaddleOCR's "fast" score on an axis-aligned box), boxes scoring under
// 0.6 dropped, then unclipped: PaddleOCR grows the polygon by d = area * 1.5 / perimeter with round
// joins; for an axis-aligned w x h box that is every side moved out by d = 1.5 w h / (2 (w + h)),
// which is what is done here. Crops are axis-aligned (no perspective warp, no 90-degree turn of tall
// crops), so slanted or vertical text is out of scope.

#include <moir/extern_templates.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/runtime/plan.hpp>

#include <algorithm>  // max, min, sort, clamp, copy_n
#include <cctype>     // isspace
#include <chrono>     // steady_clock
#include <cmath>      // ceil, floor, lround
#include <cstdint>    // int64_t, uint32_t
#include <cstdlib>    // abs
#include <fstream>    // ifstream
#include <iterator>   // istreambuf_iterator
#include <memory>     // unique_ptr, make_unique
#include <numeric>    // iota
#include <stdexcept>  // runtime_error
#include <string>     // string, getline
#include <utility>    // move
#include <vector>     // vector

namespace ocr {

/// An error with the file (or input) it concerns in its message.
struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ------------------------------------------------------------------------------------- images --

/// An RGB image, row-major, 3 floats per pixel in 0..255 (interleaved: pixel (x, y) channel c is
/// rgb[(y * width + x) * 3 + c]).
struct image {
    int width = 0, height = 0;
    std::vector<float> rgb;
    float at(int x, int y, int c) const { return rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c]; }
};

namespace detail {
inline std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw error(path + ": cannot open");
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
/// Next whitespace-separated token of a PNM header, skipping '#' comments.
inline std::string pnm_token(const std::string& s, std::size_t& i) {
    for (;;) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        if (i < s.size() && s[i] == '#') {
            while (i < s.size() && s[i] != '\n') ++i;
            continue;
        }
        break;
    }
    const std::size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(b, i - b);
}
}  // namespace detail

/// Reads an image: a .npy of RGB values 0..255 as float32 [1,3,H,W] or [3,H,W] (what
/// tools/render_text.py writes with --raw) or [H,W,3]; or a binary PPM (P6) / PGM (P5) with maxval 255.
/// ensures: throws ocr::error naming the file and the reason on anything else.
inline image load_image(const std::string& path) {
    image im;
    const bool npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
    if (npy) {
        moir::tensor t;
        try {
            t = moir::npy::load(path);
        } catch (const std::exception& e) {
            throw error(e.what());
        }
        const moir::shape& d = t.dims();
        const bool nchw = (d.size() == 4 && d[0] == 1 && d[1] == 3) || (d.size() == 3 && d[0] == 3);
        const bool hwc = d.size() == 3 && d[2] == 3 && !nchw;
        if (!nchw && !hwc)
            throw error(path + ": expected an RGB image as [1,3,H,W], [3,H,W] or [H,W,3], got " + moir::to_string(d));
        im.height = static_cast<int>(nchw ? d[d.size() - 2] : d[0]);
        im.width = static_cast<int>(nchw ? d[d.size() - 1] : d[1]);
        im.rgb.resize(static_cast<std::size_t>(im.width) * im.height * 3);
        const std::size_t plane = static_cast<std::size_t>(im.width) * im.height;
        for (std::size_t i = 0; i < plane; ++i)
            for (std::size_t c = 0; c < 3; ++c)
                im.rgb[i * 3 + c] = static_cast<float>(nchw ? t.at_as<double>(c * plane + i) : t.at_as<double>(i * 3 + c));
    } else {
        const std::string s = detail::read_file(path);
        std::size_t i = 0;
        const std::string magic = detail::pnm_token(s, i);
        if (magic != "P6" && magic != "P5") throw error(path + ": not a .npy, binary PPM (P6) or PGM (P5) image");
        int w = 0, h = 0, maxval = 0;
        try {
            w = std::stoi(detail::pnm_token(s, i));
            h = std::stoi(detail::pnm_token(s, i));
            maxval = std::stoi(detail::pnm_token(s, i));
        } catch (const std::exception&) {
            throw error(path + ": malformed PNM header");
        }
        if (w <= 0 || h <= 0 || maxval != 255) throw error(path + ": unsupported PNM (need positive size and maxval 255)");
        ++i;  // the single whitespace after maxval
        const std::size_t channels = magic == "P6" ? 3 : 1;
        const std::size_t n = static_cast<std::size_t>(w) * h;
        if (s.size() < i + n * channels) throw error(path + ": truncated PNM data");
        im.width = w;
        im.height = h;
        im.rgb.resize(n * 3);
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t c = 0; c < 3; ++c)
                im.rgb[p * 3 + c] = static_cast<unsigned char>(s[i + p * channels + (channels == 3 ? c : 0)]);
    }
    if (im.width < 1 || im.height < 1) throw error(path + ": empty image");
    return im;
}

/// Bilinear resize with pixel centres aligned (OpenCV's INTER_LINEAR convention).
/// requires: w, h >= 1 and a non-empty source.
inline image resize(const image& src, int w, int h) {
    image dst;
    dst.width = w;
    dst.height = h;
    dst.rgb.resize(static_cast<std::size_t>(w) * h * 3);
    const double sx = static_cast<double>(src.width) / w, sy = static_cast<double>(src.height) / h;
    for (int y = 0; y < h; ++y) {
        const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, static_cast<double>(src.height - 1));
        const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, src.height - 1);
        const double wy = fy - y0;
        for (int x = 0; x < w; ++x) {
            const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, static_cast<double>(src.width - 1));
            const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, src.width - 1);
            const double wx = fx - x0;
            for (int c = 0; c < 3; ++c) {
                const double top = src.at(x0, y0, c) * (1 - wx) + src.at(x1, y0, c) * wx;
                const double bottom = src.at(x0, y1, c) * (1 - wx) + src.at(x1, y1, c) * wx;
                dst.rgb[(static_cast<std::size_t>(y) * w + x) * 3 + c] = static_cast<float>(top * (1 - wy) + bottom * wy);
            }
        }
    }
    return dst;
}

/// An axis-aligned box in pixels: x0 <= x < x1, y0 <= y < y1, with the detector's score.
struct box {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    float score = 0;
    int width() const { return x1 - x0; }
    int height() const { return y1 - y0; }
};

/// The part of the image inside b. requires: b within the image and not empty.
inline image crop(const image& src, const box& b) {
    image dst;
    dst.width = b.width();
    dst.height = b.height();
    dst.rgb.resize(static_cast<std::size_t>(dst.width) * dst.height * 3);
    for (int y = 0; y < dst.height; ++y)
        std::copy_n(src.rgb.begin() + (static_cast<std::ptrdiff_t>(b.y0 + y) * src.width + b.x0) * 3, dst.width * 3,
                    dst.rgb.begin() + static_cast<std::ptrdiff_t>(y) * dst.width * 3);
    return dst;
}

/// The image turned by 180 degrees.
inline image rotate180(const image& src) {
    image dst = src;
    const std::size_t n = static_cast<std::size_t>(src.width) * src.height;
    for (std::size_t p = 0; p < n; ++p)
        for (std::size_t c = 0; c < 3; ++c) dst.rgb[p * 3 + c] = src.rgb[(n - 1 - p) * 3 + c];
    return dst;
}

/// A model input [1,3,H,out_width] from an image of height H: channels in B, G, R order, each
/// value (x/255 - mean[c]) / std[c] (mean and std given per B, G, R), columns past the image
/// filled with `pad`. requires: out_width >= im.width.
inline moir::tensor to_bgr_tensor(const image& im, int out_width, const float (&mean)[3], const float (&std)[3], float pad = 0) {
    moir::tensor t(moir::element_type::f32, {1, 3, im.height, out_width});
    float* p = t.data<float>();
    const std::size_t plane = static_cast<std::size_t>(im.height) * out_width;
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < im.height; ++y)
            for (int x = 0; x < out_width; ++x)
                p[c * plane + static_cast<std::size_t>(y) * out_width + x] =
                    x < im.width ? (im.at(x, y, 2 - c) / 255.0f - mean[c]) / std[c] : pad;
    return t;
}

// ---------------------------------------------------------------------------------- detection --

/// Detection post-processing parameters (PaddleOCR's defaults).
struct det_options {
    float threshold = 0.3f;      ///< a pixel is text when its probability exceeds this
    float box_threshold = 0.6f;  ///< a box is kept when the mean probability inside it reaches this
    float unclip_ratio = 1.5f;   ///< each side moves out by unclip_ratio * area / perimeter
    int min_size = 3;            ///< boxes whose shorter side is under this (before unclipping) are dropped
};

/// Text boxes from a probability map of map_w x map_h pixels (row-major), in the coordinates of an
/// image of image_w x image_h pixels (the map is scaled to it). See the file comment for the method.
/// ensures: boxes within the image, sorted top to bottom, then left to right for boxes on one row
/// (tops within 10 image pixels, as PaddleOCR sorts).
inline std::vector<box> find_boxes(const float* prob, int map_w, int map_h, int image_w, int image_h,
                                   const det_options& opt = {}) {
    const std::size_t n = static_cast<std::size_t>(map_w) * map_h;
    std::vector<int> label(n, -1);
    std::vector<std::size_t> stack;
    std::vector<box> boxes;
    const double sx = static_cast<double>(image_w) / map_w, sy = static_cast<double>(image_h) / map_h;
    for (std::size_t start = 0; start < n; ++start) {
        if (label[start] >= 0 || !(prob[start] > opt.threshold)) continue;
        // flood-fill one 8-connected component, tracking its bounding box
        int x0 = map_w, y0 = map_h, x1 = -1, y1 = -1;
        label[start] = 1;
        stack.assign(1, start);
        while (!stack.empty()) {
            const std::size_t p = stack.back();
            stack.pop_back();
            const int x = static_cast<int>(p % map_w), y = static_cast<int>(p / map_w);
            x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
            for (int dy = -1; dy <= 1; ++dy)
                for (int dx = -1; dx <= 1; ++dx) {
                    const int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= map_w || ny >= map_h) continue;
                    const std::size_t q = static_cast<std::size_t>(ny) * map_w + nx;
                    if (label[q] < 0 && prob[q] > opt.threshold) {
                        label[q] = 1;
                        stack.push_back(q);
                    }
                }
        }
        const int w = x1 - x0 + 1, h = y1 - y0 + 1;
        if (std::min(w, h) < opt.min_size) continue;
        double sum = 0;
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) sum += prob[static_cast<std::size_t>(y) * map_w + x];
        const double score = sum / (static_cast<double>(w) * h);
        if (score < opt.box_threshold) continue;
        const double d = opt.unclip_ratio * w * h / (2.0 * (w + h));
        box b;
        b.x0 = std::clamp(static_cast<int>(std::floor((x0 - d) * sx)), 0, image_w);
        b.y0 = std::clamp(static_cast<int>(std::floor((y0 - d) * sy)), 0, image_h);
        b.x1 = std::clamp(static_cast<int>(std::ceil((x1 + 1 + d) * sx)), 0, image_w);
        b.y1 = std::clamp(static_cast<int>(std::ceil((y1 + 1 + d) * sy)), 0, image_h);
        b.score = static_cast<float>(score);
        if (std::min(b.width(), b.height()) < opt.min_size + 2) continue;
        boxes.push_back(b);
    }
    std::sort(boxes.begin(), boxes.end(), [](const box& a, const box& b) { return a.y0 != b.y0 ? a.y0 < b.y0 : a.x0 < b.x0; });
    for (std::size_t i = 1; i < boxes.size(); ++i)  // PaddleOCR's sorted_boxes: same row -> left to right
        for (std::size_t j = i; j > 0 && std::abs(boxes[j].y0 - boxes[j - 1].y0) < 10 && boxes[j].x0 < boxes[j - 1].x0; --j)
            std::swap(boxes[j], boxes[j - 1]);
    return boxes;
}

// -------------------------------------------------------------------------------- recognition --

/// The recognizer's dictionary: class k (k >= 1) is entry k-1, class 0 is the CTC blank, and the
/// classes after the file's lines (the last class) are a space.
struct dictionary {
    std::vector<std::string> entries;

    /// Reads one entry per line (UTF-8; a trailing '\r' is dropped).
    /// ensures: throws ocr::error naming the file when it cannot be read or is empty.
    static dictionary load(const std::string& path) {
        std::ifstream f(path);
        if (!f) throw error(path + ": cannot open the dictionary");
        dictionary d;
        for (std::string s; std::getline(f, s);) {
            if (!s.empty() && s.back() == '\r') s.pop_back();
            d.entries.push_back(s);
        }
        if (d.entries.empty()) throw error(path + ": empty dictionary");
        return d;
    }
    /// The text of class k >= 1.
    std::string text(std::size_t k) const { return k - 1 < entries.size() ? entries[k - 1] : std::string(" "); }
};

/// A decoded text line and its confidence (the mean probability of its kept characters, 0 if none).
struct decoded {
    std::string text;
    float score = 0;
};

/// Greedy CTC: the most probable class per time step; repeats merged, blanks (class 0) dropped.
/// requires: probs holds steps x classes values, one row per time step.
inline decoded ctc_greedy(const float* probs, std::size_t steps, std::size_t classes, const dictionary& dict) {
    decoded r;
    double sum = 0;
    std::size_t kept = 0, previous = 0;
    for (std::size_t t = 0; t < steps; ++t) {
        const float* p = probs + t * classes;
        std::size_t best = 0;
        for (std::size_t c = 1; c < classes; ++c) best = p[c] > p[best] ? c : best;
        if (best != 0 && best != previous) {
            r.text += dict.text(best);
            sum += p[best];
            ++kept;
        }
        previous = best;
    }
    r.score = kept ? static_cast<float>(sum / static_cast<double>(kept)) : 0.0f;
    return r;
}

/// Greedy CTC over a recognizer output [1, T, classes] (f32). ensures: throws ocr::error on another shape.
inline decoded ctc_greedy(const moir::tensor& probs, const dictionary& dict) {
    const moir::shape& d = probs.dims();
    if (d.size() != 3 || d[0] != 1 || probs.type() != moir::element_type::f32)
        throw error("recognizer output: expected f32 [1,T,classes], got " + moir::to_string(d));
    return ctc_greedy(probs.data<float>(), static_cast<std::size_t>(d[1]), static_cast<std::size_t>(d[2]), dict);
}

/// UTF-8 text -> Unicode code points (an invalid byte counts as one character of its own).
inline std::vector<std::uint32_t> code_points(const std::string& s) {
    std::vector<std::uint32_t> r;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
        std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        std::size_t k = 1;
        for (; k < len && i + k < s.size() && (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2; ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
        if (k != len) cp = c, k = 1;  // truncated sequence: the lead byte alone
        r.push_back(cp);
        i += k;
    }
    return r;
}

/// Levenshtein distance between two strings, counted in Unicode characters.
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
    const auto x = code_points(a), y = code_points(b);
    std::vector<std::size_t> row(y.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= x.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= y.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (x[i - 1] == y[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[y.size()];
}

// ----------------------------------------------------------------------------------- pipeline --

/// A model (IR) on moir's compiled plan, recompiled when the input shape changes.
class model_runner {
public:
    /// Loads an IR. ensures: throws ocr::error naming the file when it cannot be loaded or does not
    /// have exactly one input and one output.
    model_runner(const std::string& xml, std::size_t threads) : path_(xml) {
        try {
            moir::model m = moir::ir::load<>(xml);
            if (m.parameters.size() != 1 || m.results.size() != 1)
                throw error(xml + ": expected a model with one input and one output");
            input_ = m.at(m.parameters[0]).attrs_as<moir::ops::parameter>().shape;
            moir::runtime::plan_options opt;
            opt.threads = threads;
            cache_ = std::make_unique<moir::runtime::plan_cache>(std::move(m), opt);
        } catch (const error&) {
            throw;
        } catch (const std::exception& e) {
            throw error(xml + ": " + e.what());
        }
    }
    /// The declared input shape (-1 for a dynamic dim).
    const moir::partial_shape& input_shape() const { return input_; }
    /// Input dim i when static, else `otherwise`.
    std::int64_t static_dim(std::size_t i, std::int64_t otherwise) const {
        return !input_.rank_dynamic && i < input_.dims.size() && input_.dims[i] >= 0 ? input_.dims[i] : otherwise;
    }
    /// Runs the model on one input. ensures: its one output; throws ocr::error naming the model.
    moir::tensor run(const moir::tensor& x) {
        try {
            const auto t0 = std::chrono::steady_clock::now();
            auto out = cache_->run({x});
            last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            return std::move(out.at(0));
        } catch (const std::exception& e) {
            throw error(path_ + ": " + e.what());
        }
    }
    /// Milliseconds the last run() took (including a recompilation when the shape changed).
    double last_ms() const { return last_ms_; }

private:
    std::string path_;
    moir::partial_shape input_;
    std::unique_ptr<moir::runtime::plan_cache> cache_;
    double last_ms_ = 0;
};

inline constexpr float half_mean[3] = {0.5f, 0.5f, 0.5f}, half_std[3] = {0.5f, 0.5f, 0.5f};
inline constexpr float det_mean[3] = {0.485f, 0.456f, 0.406f}, det_std[3] = {0.229f, 0.224f, 0.225f};

/// Height of the cls and rec inputs.
inline constexpr int line_height = 48;

/// A crop resized to height 48 keeping its aspect (width at most max_width), as a [1,3,48,W]
/// input normalized (x/255-0.5)/0.5, right-padded with 0 to W = max(min_width, the resized width
/// rounded up to a multiple of 8), or to fixed_width when that is > 0 (then wider crops are squeezed).
inline moir::tensor line_input(const image& crop, int min_width, int max_width, int fixed_width = 0) {
    const int natural = std::max(1, static_cast<int>(std::ceil(line_height * static_cast<double>(crop.width) / crop.height)));
    const int cap = fixed_width > 0 ? fixed_width : max_width;
    const int w = std::min(natural, cap);
    const int out_w = fixed_width > 0 ? fixed_width : std::max(min_width, (w + 7) / 8 * 8);
    return to_bgr_tensor(resize(crop, w, line_height), out_w, half_mean, half_std, 0.0f);
}

/// The direction classifier's answer for a crop: whether it reads upside down, and the score.
struct orientation {
    bool rotated = false;  ///< label "180"
    float score = 0;       ///< probability of the chosen label
};

/// Runs the direction classifier ([1,3,48,192] -> [1,2] probabilities of "0" and "180") on a crop.
inline orientation classify(model_runner& cls, const image& crop) {
    const auto width = static_cast<int>(cls.static_dim(3, 192));
    const moir::tensor out = cls.run(line_input(crop, width, width, width));
    if (out.numel() != 2) throw error("direction classifier: expected 2 outputs, got " + moir::to_string(out.dims()));
    const float p0 = out.data<float>()[0], p180 = out.data<float>()[1];
    return {p180 > p0, std::max(p0, p180)};
}

/// Runs the recognizer on a crop and decodes its text. A recognizer with a static input width gets
/// that width; a dynamic one max(320, the crop's width at height 48, rounded up to 8) (at most 3200).
inline decoded recognize(model_runner& rec, const image& crop, const dictionary& dict) {
    const int fixed = static_cast<int>(rec.static_dim(3, 0));
    return ctc_greedy(rec.run(line_input(crop, 320, 3200, fixed)), dict);
}

/// The det input for an image: a static det input shape is used as is; otherwise the image is
/// scaled so its longer side is at most limit_side, and both sides rounded to multiples of 32.
inline moir::tensor det_input(const model_runner& det, const image& im, int limit_side = 960) {
    double ratio = std::max(im.width, im.height) > limit_side ? static_cast<double>(limit_side) / std::max(im.width, im.height) : 1.0;
    auto round32 = [](double v) { return std::max(32, static_cast<int>(std::lround(v / 32.0)) * 32); };
    const int h = static_cast<int>(det.static_dim(2, round32(im.height * ratio)));
    const int w = static_cast<int>(det.static_dim(3, round32(im.width * ratio)));
    return to_bgr_tensor(resize(im, w, h), w, det_mean, det_std);
}

/// One text line found in an image.
struct line_result {
    box where;            ///< in the image's pixels; where.score is the detector's score
    std::string text;
    float score = 0;      ///< the recognizer's confidence
    bool rotated = false; ///< the classifier turned the crop by 180 degrees
};

/// Pipeline settings.
struct pipeline_options {
    std::size_t threads = 1;   ///< threads of each compiled plan
    det_options det;
    float cls_threshold = 0.9f;  ///< a crop is turned when cls says "180" with at least this score
    int limit_side = 960;        ///< the det input's longer side at most this (dynamic det IRs)
};

/// det -> crop -> cls (optional) -> rec. The models are IRs converted by `moir convert` from the
/// PaddleOCR ONNX files.
class pipeline {
public:
    /// Loads the models and the dictionary. cls_xml may be empty (no orientation step).
    /// ensures: throws ocr::error naming the file that cannot be loaded.
    pipeline(const std::string& det_xml, const std::string& cls_xml, const std::string& rec_xml, const std::string& keys,
             pipeline_options opt = {})
        : opt_(opt), det_(det_xml, opt.threads), rec_(rec_xml, opt.threads), dict_(dictionary::load(keys)) {
        if (!cls_xml.empty()) cls_ = std::make_unique<model_runner>(cls_xml, opt.threads);
    }

    /// The det probability map [H, W] of an image (the det model's output at its input size).
    moir::tensor probability_map(const image& im) {
        moir::tensor p = det_.run(det_input(det_, im, opt_.limit_side));
        const moir::shape& d = p.dims();
        if (d.size() != 4 || d[0] != 1 || d[1] != 1 || p.type() != moir::element_type::f32)
            throw error("det output: expected f32 [1,1,H,W], got " + moir::to_string(d));
        return p.reshaped({d[2], d[3]});
    }

    /// Reads every text line of an image. ensures: lines in reading order (top to bottom).
    std::vector<line_result> run(const image& im) {
        const moir::tensor map = probability_map(im);
        const auto boxes = find_boxes(map.data<float>(), static_cast<int>(map.dims()[1]), static_cast<int>(map.dims()[0]),
                                      im.width, im.height, opt_.det);
        std::vector<line_result> lines;
        for (const box& b : boxes) {
            line_result r;
            r.where = b;
            image c = crop(im, b);
            if (cls_) {
                const orientation o = classify(*cls_, c);
                if (o.rotated && o.score >= opt_.cls_threshold) {
                    c = rotate180(c);
                    r.rotated = true;
                }
            }
            const decoded d = recognize(rec_, c, dict_);
            r.text = d.text;
            r.score = d.score;
            lines.push_back(std::move(r));
        }
        return lines;
    }

    const dictionary& keys() const { return dict_; }

private:
    pipeline_options opt_;
    model_runner det_, rec_;
    std::unique_ptr<model_runner> cls_;
    dictionary dict_;
};

}  // namespace ocr

#endif  // MOIR_EXAMPLES_OCR_OCR_HPP
