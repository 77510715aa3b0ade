// ocr: read every text line of an image with the PaddleOCR models converted to IR by moir
// (det -> crop -> cls -> rec, on moir's compiled plan). See examples/ocr/ocr.hpp for the method and
// examples/ocr/README.md for how to make the IRs.
#include "ocr.hpp"

#include <cstdio>     // printf, fprintf
#include <cstdlib>    // strtoul
#include <exception>  // exception
#include <string>     // string

namespace {

const char* const usage =
    "usage: ocr --det DET.xml --rec REC.xml --keys KEYS.txt [--cls CLS.xml] [--threads N]\n"
    "           [--det_threshold T] [--box_threshold B] [--unclip R] IMAGE\n"
    "\n"
    "Finds and reads the text lines of IMAGE with the PaddleOCR detector (det), direction\n"
    "classifier (cls, optional) and recognizer (rec), converted to OpenVINO IR by `moir convert`.\n"
    "Prints one line per text box, top to bottom:\n"
    "  x0 y0 x1 y1 SCORE TEXT\n"
    "(the box in image pixels, x1/y1 exclusive; SCORE the recognizer's mean character confidence).\n"
    "\n"
    "IMAGE: a .npy of RGB values 0..255 as float32 [1,3,H,W] (tools/render_text.py det --raw writes\n"
    "one), [3,H,W] or [H,W,3]; or a binary PPM (P6) / PGM (P5) file.\n"
    "KEYS: the recognizer's dictionary (ppocr_keys_v1.txt).\n"
    "Options:\n"
    "  --threads N        threads per model (default 1)\n"
    "  --det_threshold T  probability above which a det pixel is text (default 0.3)\n"
    "  --box_threshold B  minimum mean probability of a box (default 0.6)\n"
    "  --unclip R         box growth ratio, PaddleOCR's unclip_ratio (default 1.5)\n"
    "  -h, --help         this help\n"
    "Exit status: 0 on success, 1 on an error (named with its file), 2 on a usage error.\n";

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "ocr: error: %s\n%s", msg.c_str(), usage);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string det, cls, rec, keys, image_path;
    ocr::pipeline_options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        std::string v;
        try {
            if (a == "-h" || a == "--help") {
                std::fputs(usage, stdout);
                return 0;
            } else if (a == "--det") {
                if (!value(det)) return usage_error("--det expects a file");
            } else if (a == "--cls") {
                if (!value(cls)) return usage_error("--cls expects a file");
            } else if (a == "--rec") {
                if (!value(rec)) return usage_error("--rec expects a file");
            } else if (a == "--keys") {
                if (!value(keys)) return usage_error("--keys expects a file");
            } else if (a == "--threads") {
                if (!value(v) || std::stoi(v) < 1) return usage_error("--threads expects an integer >= 1");
                opt.threads = static_cast<std::size_t>(std::stoi(v));
            } else if (a == "--det_threshold") {
                if (!value(v)) return usage_error("--det_threshold expects a number");
                opt.det.threshold = std::stof(v);
            } else if (a == "--box_threshold") {
                if (!value(v)) return usage_error("--box_threshold expects a number");
                opt.det.box_threshold = std::stof(v);
            } else if (a == "--unclip") {
                if (!value(v)) return usage_error("--unclip expects a number");
                opt.det.unclip_ratio = std::stof(v);
            } else if (!a.empty() && a[0] == '-') {
                return usage_error("unknown option '" + a + "'");
            } else if (image_path.empty()) {
                image_path = a;
            } else {
                return usage_error("more than one image given ('" + image_path + "', '" + a + "')");
            }
        } catch (const std::exception&) {
            return usage_error(a + " expects a number, got '" + v + "'");
        }
    }
    if (det.empty() || rec.empty() || keys.empty()) return usage_error("--det, --rec and --keys are required");
    if (image_path.empty()) return usage_error("no IMAGE given");
    try {
        const ocr::image im = ocr::load_image(image_path);
        ocr::pipeline p(det, cls, rec, keys, opt);
        for (const auto& line : p.run(im))
            std::printf("%d %d %d %d %.3f %s\n", line.where.x0, line.where.y0, line.where.x1, line.where.y1, line.score,
                        line.text.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ocr: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
