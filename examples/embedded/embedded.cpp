// examples/embedded: two real models compiled into C++ headers by `moir codegen` (docs/embedded.md)
// and run with no model file, no parser and no heap: PaddleOCR's text direction classifier (is a line
// of text upright or upside down?) and MediaPipe's BlazeFace (where is the face?). Each model is a
// namespace of constants and one run() over caller-owned memory; this program keeps both arenas in
// static storage, as firmware would.
//
// usage: embedded DIR   (DIR holds text.f32 and face.f32, written by examples/embedded/prepare.py)

#include "blazeface.hpp"  // moir_models::blazeface, generated at build time
#include "cls.hpp"        // moir_models::cls, generated at build time

#include <cmath>    // exp
#include <cstdio>   // fopen, fread, printf
#include <cstddef>  // byte, size_t

namespace {

namespace cls = moir_models::cls;
namespace face = moir_models::blazeface;

alignas(64) std::byte cls_arena[cls::arena_bytes];
alignas(64) std::byte face_arena[face::arena_bytes];
float text[cls::input0_size], flipped[cls::input0_size], image[face::input0_size];

bool read(const char* dir, const char* name, float* out, std::size_t n) {
    char path[512];
    std::snprintf(path, sizeof path, "%s/%s", dir, name);
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    const bool ok = std::fread(out, sizeof(float), n, f) == n;
    std::fclose(f);
    return ok;
}

/// The text classifier on one 1x3x48x192 line: "0" or "180" and its probability.
void classify(const char* what, const float* line) {
    float prob[cls::output0_size];
    const float* in[] = {line};
    float* out[] = {prob};
    cls::run(in, out, cls_arena);
    const bool upside_down = prob[1] > prob[0];
    std::printf("%s text: %s degrees (p = %.2f)\n", what, upside_down ? "180" : "0", static_cast<double>(upside_down ? prob[1] : prob[0]));
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 || !read(argv[1], "text.f32", text, cls::input0_size) ||
        !read(argv[1], "face.f32", image, face::input0_size)) {
        std::printf("usage: %s DIR (with text.f32 and face.f32 from prepare.py)\n", argv[0]);
        return 2;
    }
    // PaddleOCR cls: the line as rendered, then turned by 180 degrees (both axes reversed)
    classify("upright", text);
    const std::size_t h = 48, w = 192;
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w; ++x) flipped[(c * h + y) * w + x] = text[(c * h + (h - 1 - y)) * w + (w - 1 - x)];
    classify("rotated", flipped);

    // BlazeFace (front, 128x128): 512 anchors on a 16x16 grid (2 each) and 384 on an 8x8 grid (6 each);
    // each anchor has a score logit and a box (dx, dy, w, h in pixels of the 128 input, 6 keypoints)
    static float s16[face::output0_size], s8[face::output1_size], b16[face::output2_size], b8[face::output3_size];
    const float* in[] = {image};
    float* out[] = {s16, s8, b16, b8};
    face::run(in, out, face_arena);
    float best = -1e30f, cx = 0, cy = 0, bw = 0, bh = 0;
    std::size_t found = 0;
    auto scan = [&](const float* scores, const float* boxes, std::size_t grid, std::size_t per, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (sigmoid(scores[i]) > 0.5f) ++found;
            if (scores[i] <= best) continue;
            const std::size_t cell = i / per;
            const float ax = (static_cast<float>(cell % grid) + 0.5f) / static_cast<float>(grid);
            const float ay = (static_cast<float>(cell / grid) + 0.5f) / static_cast<float>(grid);
            const float* b = boxes + i * 16;
            best = scores[i];
            cx = ax + b[0] / 128.0f, cy = ay + b[1] / 128.0f, bw = b[2] / 128.0f, bh = b[3] / 128.0f;
        }
    };
    scan(s16, b16, 16, 2, 512);
    scan(s8, b8, 8, 6, 384);
    std::printf("face: p = %.2f, centre (%.0f, %.0f), size %.0f x %.0f pixels of 128\n", static_cast<double>(sigmoid(best)),
                static_cast<double>(cx * 128), static_cast<double>(cy * 128), static_cast<double>(bw * 128),
                static_cast<double>(bh * 128));
    // (on stderr: the sizes depend on the arch's packing)
    std::fprintf(stderr, "%zu anchors above 0.5; arenas: cls %zu bytes, blazeface %zu bytes; weights: %zu + %zu bytes\n",
                 found, cls::arena_bytes, face::arena_bytes, cls::weight_bytes, face::weight_bytes);
    return 0;
}
