#ifndef MOIR_IO_UTF8_HPP
#define MOIR_IO_UTF8_HPP

// UTF-8 encoding of a code point, for the text readers that decode escapes (the IR's XML character
// references, protobuf text format's \u escapes).

#include <cstdint>  // uint32_t
#include <string>   // string

namespace moir::io {

/// Appends code point cp (at most 0x10FFFF; the caller checks) to out as UTF-8 (1 to 4 bytes).
inline void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace moir::io

#endif  // MOIR_IO_UTF8_HPP
