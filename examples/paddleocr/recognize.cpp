// recognize: read a text line with the PaddleOCR recognizer converted to OpenVINO IR by moir.
//   recognize MODEL.xml LINE.npy KEYS.txt
// LINE.npy is a [1,3,48,W] BGR image normalized as (x/255-0.5)/0.5 (tools/render_text.py rec makes
// one); KEYS.txt is the model's dictionary (ppocr_keys_v1.txt). Prints the decoded text and the mean
// confidence of its characters.
#include <moir/moir.hpp>

#include <cstdio>    // printf, fprintf
#include <fstream>   // ifstream
#include <string>    // string, getline
#include <vector>    // vector

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s MODEL.xml LINE.npy KEYS.txt\n", argv[0]);
        return 2;
    }
    try {
        const moir::model m = moir::ir::load<>(argv[1]);
        const moir::tensor line = moir::npy::load(argv[2]);
        const auto out = moir::reference_executor<>(m).run({line});
        const moir::tensor& probs = out.at(0);  // [1, T, classes]: softmax per time step

        // class k >= 1 is line k-1 of the dictionary, 0 is the CTC blank, the last class is a space
        std::vector<std::string> keys;
        std::ifstream f(argv[3]);
        for (std::string s; std::getline(f, s);) keys.push_back(s);
        const auto steps = static_cast<std::size_t>(probs.dims().at(1));
        const auto classes = static_cast<std::size_t>(probs.dims().at(2));
        std::string text;
        double confidence = 0;
        std::size_t kept = 0, previous = 0;
        for (std::size_t t = 0; t < steps; ++t) {
            const float* p = probs.data<float>() + t * classes;
            std::size_t best = 0;
            for (std::size_t c = 1; c < classes; ++c) best = p[c] > p[best] ? c : best;
            if (best != 0 && best != previous) {  // greedy CTC: drop blanks and repeats
                text += best - 1 < keys.size() ? keys[best - 1] : std::string(" ");
                confidence += p[best];
                ++kept;
            }
            previous = best;
        }
        std::printf("%s\n", text.c_str());
        std::fprintf(stderr, "confidence %.3f over %zu characters\n", kept ? confidence / static_cast<double>(kept) : 0.0, kept);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "recognize: %s\n", e.what());
        return 1;
    }
    return 0;
}
