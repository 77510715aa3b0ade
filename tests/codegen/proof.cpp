// The proof of `moir codegen` (docs/embedded.md) for one generated model header: run() makes no
// heap allocation (the global operator new / delete and malloc / calloc / realloc / aligned_alloc /
// posix_memalign / memalign are replaced by counting ones), and its outputs are bit-identical to
// `moir run --threads 1` of the same IR on the same arch (MOIR_ARCH).
//
// Built with -fno-exceptions -fno-rtti -Wall -Werror and the arch's flags; includes only the
// generated header (and through it moir's kernel headers). The header is chosen at compile time:
// MOIR_CODEGEN_HEADER "cls.hpp", MOIR_CODEGEN_MODEL moir_test::cls.
//
// usage: proof MOIR_BINARY MODEL.xml WORK_DIR ARCH

#include MOIR_CODEGEN_HEADER

#include <cstdio>   // fopen, fwrite, fread, printf, snprintf
#include <cstdlib>  // system, setenv
#include <cstring>  // memcmp, memcpy
#include <new>      // operator new, align_val_t
#include <string>   // string
#include <vector>   // vector

namespace model = MOIR_CODEGEN_MODEL;

// ---- counting allocation functions ----------------------------------------------------------------

namespace {
volatile bool counting = false;
volatile unsigned long allocations = 0;
inline void count() {
    if (counting) allocations = allocations + 1;
}
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    count();
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t s) {
    count();
    return __libc_calloc(n, s);
}
void* realloc(void* p, std::size_t n) {
    count();
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) {
    count();
    return __libc_memalign(a, n);
}
void* memalign(std::size_t a, std::size_t n) {
    count();
    return __libc_memalign(a, n);
}
int posix_memalign(void** p, std::size_t a, std::size_t n) {
    count();
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12;
}
void free(void* p) { __libc_free(p); }
}

void* operator new(std::size_t n) {
    count();
    void* p = __libc_malloc(n ? n : 1);
    if (!p) std::abort();
    return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
    count();
    void* p = __libc_memalign(static_cast<std::size_t>(a), n ? n : 1);
    if (!p) std::abort();
    return p;
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    count();
    return __libc_malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    count();
    return __libc_malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }

// ---- .npy ---------------------------------------------------------------------------------------

namespace {

bool write_npy(const std::string& path, const float* v, const std::int64_t* dims, std::size_t rank, std::size_t n) {
    std::string shape = "(";
    for (std::size_t i = 0; i < rank; ++i) shape += std::to_string(dims[i]) + (rank == 1 || i + 1 < rank ? "," : "");
    shape += ")";
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const unsigned char magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    const unsigned short len = static_cast<unsigned short>(h.size());
    bool ok = std::fwrite(magic, 1, 8, f) == 8 && std::fwrite(&len, 2, 1, f) == 1 &&
              std::fwrite(h.data(), 1, h.size(), f) == h.size() && std::fwrite(v, sizeof(float), n, f) == n;
    return std::fclose(f) == 0 && ok;
}

/// The float data of a little-endian f32 .npy of n elements.
bool read_npy(const std::string& path, std::vector<float>& out, std::size_t n) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    unsigned char head[12];
    bool ok = std::fread(head, 1, 10, f) == 10 && head[0] == 0x93;
    std::size_t len = 0;
    if (ok && head[6] == 1) {
        len = head[8] | (head[9] << 8);
    } else if (ok) {
        ok = std::fread(head + 10, 1, 2, f) == 2;
        len = head[8] | (head[9] << 8) | (static_cast<std::size_t>(head[10]) << 16) | (static_cast<std::size_t>(head[11]) << 24);
    }
    std::string h(len, ' ');
    ok = ok && std::fread(&h[0], 1, len, f) == len && h.find("'<f4'") != std::string::npos;
    out.assign(n, 0.0f);
    ok = ok && std::fread(out.data(), sizeof(float), n, f) == n;
    std::fclose(f);
    return ok;
}

std::string sanitize(const char* name) {
    std::string s = name;
    for (auto& ch : s)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
              ch == '-'))
            ch = '_';
    return s.empty() ? std::string("output") : s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::printf("usage: %s MOIR_BINARY MODEL.xml WORK_DIR ARCH\n", argv[0]);
        return 2;
    }
    const std::string moir = argv[1], xml = argv[2], dir = argv[3], arch = argv[4];
    static_assert(model::input_count == 1, "this proof feeds one input");
    // a deterministic input in [0, 1)
    std::vector<float> x(model::input_sizes[0]);
    unsigned state = 12345;
    for (auto& v : x) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / 16777216.0f;
    }
    std::vector<std::vector<float>> y(model::output_count);
    float* outs[model::output_count];
    for (std::size_t o = 0; o < model::output_count; ++o) {
        y[o].assign(model::output_sizes[o], -1.0f);
        outs[o] = y[o].data();
    }
    const float* ins[] = {x.data()};
    std::vector<unsigned char> arena_storage(model::arena_bytes + 64);
    void* arena = arena_storage.data() + (64 - reinterpret_cast<std::uintptr_t>(arena_storage.data()) % 64) % 64;

    // the counter counts: an allocation made while counting is seen
    // (a direct call, which no compiler may elide, unlike a new-expression)
    counting = true;
    void* volatile probe = ::operator new(sizeof(int));
    counting = false;
    const unsigned long seen = allocations;
    ::operator delete(probe);
    if (seen != 1) {
        std::printf("FAIL: the counting operator new did not count (%lu)\n", seen);
        return 1;
    }
    allocations = 0;
    counting = true;
    model::run(ins, outs, arena);
    model::run(ins, outs, arena);
    model::run(ins, outs);  // the static arena
    counting = false;
    std::printf("heap allocations during 3 runs: %lu\n", static_cast<unsigned long>(allocations));
    if (allocations != 0) return 1;

    // moir run of the same IR, one thread, the same arch
    const std::string input = dir + "/x.npy";
    std::string mk = "mkdir -p '" + dir + "'";
    if (std::system(mk.c_str()) != 0 || !write_npy(input, x.data(), model::input0_shape,
                                                    sizeof(model::input0_shape) / sizeof(model::input0_shape[0]),
                                                    x.size())) {
        std::printf("FAIL: cannot write %s\n", input.c_str());
        return 1;
    }
    const std::string cmd = "MOIR_ARCH=" + arch + " '" + moir + "' run --model '" + xml + "' --input '" + input +
                            "' --output_dir '" + dir + "/ref' --threads 1 > /dev/null";
    if (std::system(cmd.c_str()) != 0) {
        std::printf("FAIL: %s\n", cmd.c_str());
        return 1;
    }
    const auto& names = model::output_names;
    bool all = true;
    for (std::size_t o = 0; o < model::output_count; ++o) {
        std::vector<float> ref;
        const std::string path = dir + "/ref/" + sanitize(names[o]) + ".npy";
        if (!read_npy(path, ref, y[o].size())) {
            std::printf("FAIL: cannot read %s\n", path.c_str());
            return 1;
        }
        std::size_t differ = 0;
        for (std::size_t i = 0; i < ref.size(); ++i) differ += std::memcmp(&ref[i], &y[o][i], sizeof(float)) != 0;
        std::printf("output %s: %zu values, %zu differ from moir run (first: %g vs %g)\n", names[o], ref.size(), differ,
                    static_cast<double>(y[o][0]), static_cast<double>(ref[0]));
        all = all && differ == 0;
    }
    std::printf(all ? "PASS: bit-identical, no heap\n" : "FAIL: outputs differ\n");
    return all ? 0 : 1;
}
