#ifndef MOIR_FRONTENDS_TENSORFLOW_TENSOR_BUNDLE_HPP
#define MOIR_FRONTENDS_TENSORFLOW_TENSOR_BUNDLE_HPP

// TensorFlow's tensor bundle (checkpoint format V2: a SavedModel's variables/ and tf.train.Saver's
// prefix.index + prefix.data-NNNNN-of-MMMMM). The index is a LevelDB-format sorted-string table:
// data blocks of prefix-compressed entries with restart points, each block followed by a one-byte
// compression type and the masked CRC-32C of the block and that byte; a metaindex and an index
// block (one entry per data block: a separator key and the block's handle, two varints); a 48-byte
// footer (the two handles, padding, the magic 0xdb4775248b80fb57). Its "" key holds a
// BundleHeaderProto (num_shards, endianness), every other key a tensor's BundleEntryProto (dtype,
// shape, shard, offset, size, masked CRC-32C of the bytes). Only uncompressed blocks and unsliced,
// little-endian numeric tensors are read; everything is checked and reported with the file's name.

#include <moir/core/errors.hpp>
#include <moir/core/limits.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/common/protobuf_wire.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>

#include <array>     // array
#include <cstdint>   // uint8_t, uint32_t, uint64_t
#include <cstdio>    // snprintf
#include <cstring>   // memcpy
#include <fstream>   // ifstream
#include <iterator>  // istreambuf_iterator
#include <map>       // map
#include <string>    // string
#include <vector>    // vector

namespace moir::tensorflow {

namespace detail {
inline const std::array<std::uint32_t, 256>& crc32c_table() {
    static const std::array<std::uint32_t, 256> t = [] {
        std::array<std::uint32_t, 256> r{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            r[i] = c;
        }
        return r;
    }();
    return t;
}
inline std::string read_whole_file(const std::string& path, const std::string& what) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open " + what + " " + path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
}  // namespace detail

/// CRC-32C (Castagnoli) of n bytes, continuing from `crc` (0 to start).
inline std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc = 0) {
    const auto& t = detail::crc32c_table();
    const auto* p = static_cast<const std::uint8_t*>(data);
    std::uint32_t c = ~crc;
    for (std::size_t i = 0; i < n; ++i) c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}
/// The masked form LevelDB and TensorFlow store (a CRC of data holding CRCs stays meaningful).
inline std::uint32_t crc32c_unmask(std::uint32_t m) {
    const std::uint32_t r = m - 0xa282ead8u;
    return (r >> 17) | (r << 15);
}

/// One tensor's entry in a bundle index.
struct bundle_entry {
    data_type dtype = data_type::invalid;
    tensor_shape shape;
    std::int32_t shard_id = 0;
    std::int64_t offset = 0, size = 0;
    std::uint32_t crc32c = 0;  ///< masked
    bool sliced = false;
};

/// A tensor bundle opened from its prefix ("dir/variables/variables", "dir/model.ckpt").
/// ensures: the constructor reads and checks the whole index (moir::parse_error naming
/// prefix.index and the reason); tensor() reads one tensor from its shard, checked against size
/// and CRC-32C.
class tensor_bundle {
public:
    explicit tensor_bundle(std::string prefix) : prefix_(std::move(prefix)) {
        index_path_ = prefix_ + ".index";
        open(detail::read_whole_file(index_path_, "checkpoint index"));
    }
    /// A bundle whose index is `index_bytes` (as read from prefix.index) and whose shards are
    /// `shards` by number; a shard not given is read from its file when a tensor needs it.
    /// ensures: as tensor_bundle(prefix).
    tensor_bundle(std::string prefix, const std::string& index_bytes, std::map<std::int32_t, std::string> shards)
        : prefix_(std::move(prefix)), shards_(std::move(shards)) {
        index_path_ = prefix_ + ".index";
        open(index_bytes);
    }

    const std::string& prefix() const { return prefix_; }
    const std::string& index_path() const { return index_path_; }
    const std::map<std::string, bundle_entry>& entries() const { return entries_; }
    bool contains(const std::string& key) const { return entries_.count(key) != 0; }

    /// The data file of shard i: prefix.data-0000i-of-0000n.
    std::string shard_path(std::int32_t i) const {
        char buf[40];
        std::snprintf(buf, sizeof buf, ".data-%05d-of-%05d", static_cast<int>(i), static_cast<int>(num_shards_));
        return prefix_ + buf;
    }

    /// The tensor stored under `key`. ensures: moir::error naming the index or shard file when the
    /// key is missing, the shard is short, or the CRC-32C does not match.
    moir::tensor tensor(const std::string& key) const {
        const auto it = entries_.find(key);
        MOIR_CHECK(it != entries_.end(), error, index_path_ + ": the checkpoint has no tensor '" + key + "'");
        const bundle_entry& e = it->second;
        const std::string where = index_path_ + ": tensor '" + key + "'";
        MOIR_CHECK(!e.sliced, unsupported_error, where + " is stored in slices (partitioned variables are not supported)");
        const auto et = to_element_type(e.dtype);
        MOIR_CHECK(et, unsupported_error, where + " has unsupported type " + data_type_name(e.dtype));
        MOIR_CHECK(!e.shape.unknown_rank, parse_error, where + " has an unknown rank");
        shape dims;
        for (auto d : e.shape.dims) {
            MOIR_CHECK(d >= 0, parse_error, where + " has a negative dim");
            dims.push_back(d);
        }
        // the declared shape is checked against the stored size before anything is allocated
        const std::uint64_t width = size_of(*et), size = e.size < 0 ? 0 : static_cast<std::uint64_t>(e.size);
        const std::uint64_t count = capped_element_count(dims, size);
        MOIR_CHECK(e.size >= 0 && width && size % width == 0 && count == size / width, parse_error,
                   where + " has " + std::to_string(e.size) + " bytes, its shape [" + to_string(dims) + "] of " +
                       data_type_name(e.dtype) + " needs " +
                       (count > size ? std::string("more") : std::to_string(count * width)));
        MOIR_CHECK(e.shard_id >= 0 && e.shard_id < num_shards_, parse_error,
                   where + " is in shard " + std::to_string(e.shard_id) + " of " + std::to_string(num_shards_));
        const std::string& data = shard(e.shard_id);
        const std::string path = shard_path(e.shard_id);
        MOIR_CHECK(e.offset >= 0 && static_cast<std::uint64_t>(e.offset) + static_cast<std::uint64_t>(e.size) <= data.size(),
                   parse_error,
                   path + ": truncated: tensor '" + key + "' needs bytes " + std::to_string(e.offset) + ".." +
                       std::to_string(e.offset + e.size) + ", the file has " + std::to_string(data.size()));
        const char* p = data.data() + e.offset;
        const std::uint32_t got = crc32c(p, static_cast<std::size_t>(e.size));
        MOIR_CHECK(got == crc32c_unmask(e.crc32c), parse_error,
                   path + ": checksum mismatch for tensor '" + key + "' (CRC-32C of its " + std::to_string(e.size) +
                       " bytes does not match the index)");
        moir::tensor t(*et, dims);
        if (e.size) std::memcpy(t.raw(), p, static_cast<std::size_t>(e.size));
        return t;
    }

private:
    /// Reads and checks the whole index held in `bytes`.
    void open(const std::string& bytes) {
        read_table(bytes);
        const auto h = raw_.find("");
        fail_if(h == raw_.end(), "no bundle header (the \"\" key)");
        protobuf::reader r(reinterpret_cast<const std::uint8_t*>(h->second.data()), h->second.size(), index_path_);
        protobuf::tag t;
        while (r.next(t)) {
            if (t.field == 1) num_shards_ = r.read_int32(t);
            else if (t.field == 2) fail_if(r.read_int32(t) != 0, "the bundle is big-endian");
            else r.skip(t);
        }
        fail_if(num_shards_ < 1 || num_shards_ > 100000, "bad shard count " + std::to_string(num_shards_));
        for (const auto& [key, value] : raw_) {
            if (key.empty()) continue;
            entries_.emplace(key, parse_entry(key, value));
        }
    }

    [[noreturn]] void fail(const std::string& why) const { throw parse_error(index_path_ + ": " + why); }
    void fail_if(bool bad, const std::string& why) const {
        if (bad) fail(why);
    }

    struct cursor {
        const std::uint8_t* p;
        const std::uint8_t* end;
    };
    std::uint64_t varint(cursor& c, const char* what) const {
        std::uint64_t v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            fail_if(c.p >= c.end, std::string("truncated ") + what);
            const std::uint8_t b = *c.p++;
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        fail(std::string("bad varint in ") + what);
    }
    static std::uint32_t le32(const std::uint8_t* p) {
        return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
               static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
    }

    /// The contents of the block at `handle` (offset, size), its trailer checked.
    std::pair<const std::uint8_t*, std::size_t> block_at(const std::string& file, std::uint64_t off, std::uint64_t size,
                                                         const char* what) const {
        fail_if(off > file.size() || size > file.size() - off || file.size() - off - size < 5,
                std::string("the ") + what + " block lies outside the file (truncated?)");
        const auto* b = reinterpret_cast<const std::uint8_t*>(file.data()) + off;
        const std::uint8_t type = b[size];
        const std::uint32_t stored = crc32c_unmask(le32(b + size + 1));
        fail_if(crc32c(b, static_cast<std::size_t>(size) + 1) != stored,
                std::string("checksum mismatch in the ") + what + " block at byte " + std::to_string(off));
        fail_if(type != 0, std::string("the ") + what + " block is compressed (type " + std::to_string(type) +
                               "); moir reads uncompressed tables only");
        return {b, static_cast<std::size_t>(size)};
    }

    /// Calls f(key, value) for every entry of a block, restoring the prefix-compressed keys.
    template <class F>
    void for_each_entry(const std::uint8_t* b, std::size_t size, const char* what, F f) const {
        fail_if(size < 4, std::string("the ") + what + " block is too short");
        const std::uint32_t restarts = le32(b + size - 4);
        fail_if(restarts == 0 || static_cast<std::uint64_t>(restarts) * 4 + 4 > size,
                std::string("bad restart count in the ") + what + " block");
        const std::size_t limit = size - 4 - static_cast<std::size_t>(restarts) * 4;
        for (std::uint32_t i = 0; i < restarts; ++i)
            fail_if(le32(b + limit + 4 * i) > limit, std::string("a restart point lies outside the ") + what + " block");
        cursor c{b, b + limit};
        std::string key;
        while (c.p < c.end) {
            const std::uint64_t shared = varint(c, what), unshared = varint(c, what), vlen = varint(c, what);
            fail_if(shared > key.size(), std::string("an entry shares more than the previous key in the ") + what + " block");
            fail_if(unshared > static_cast<std::uint64_t>(c.end - c.p) ||
                        vlen > static_cast<std::uint64_t>(c.end - c.p) - unshared,
                    std::string("an entry runs past the end of the ") + what + " block");
            key.resize(static_cast<std::size_t>(shared));
            key.append(reinterpret_cast<const char*>(c.p), static_cast<std::size_t>(unshared));
            c.p += unshared;
            f(key, std::string(reinterpret_cast<const char*>(c.p), static_cast<std::size_t>(vlen)));
            c.p += vlen;
        }
    }

    void read_table(const std::string& file) {
        constexpr std::size_t footer_size = 48;
        fail_if(file.size() < footer_size, "too short for a table (" + std::to_string(file.size()) + " bytes; truncated?)");
        const auto* foot = reinterpret_cast<const std::uint8_t*>(file.data()) + file.size() - footer_size;
        const std::uint64_t magic = static_cast<std::uint64_t>(le32(foot + 40)) | static_cast<std::uint64_t>(le32(foot + 44)) << 32;
        fail_if(magic != 0xdb4775248b80fb57ull, "not a checkpoint index (no table magic at its end; truncated?)");
        cursor c{foot, foot + 40};
        varint(c, "footer");
        varint(c, "footer");  // the metaindex block: TensorFlow writes none we need
        const std::uint64_t io = varint(c, "footer"), is = varint(c, "footer");
        const auto [ib, isz] = block_at(file, io, is, "index");
        std::string last;
        for_each_entry(ib, isz, "index", [&](const std::string& sep, const std::string& handle) {
            cursor h{reinterpret_cast<const std::uint8_t*>(handle.data()),
                     reinterpret_cast<const std::uint8_t*>(handle.data()) + handle.size()};
            const std::uint64_t off = varint(h, "block handle"), size = varint(h, "block handle");
            const auto [db, dsz] = block_at(file, off, size, "data");
            for_each_entry(db, dsz, "data", [&](const std::string& key, const std::string& value) {
                fail_if(!raw_.empty() && key <= last, "keys out of order ('" + key + "' after '" + last + "')");
                fail_if(key > sep, "key '" + key + "' lies beyond its block's index key '" + sep + "'");
                last = key;
                raw_.emplace(key, value);
            });
        });
    }

    bundle_entry parse_entry(const std::string& key, const std::string& v) const {
        bundle_entry e;
        const std::string source = index_path_ + " (entry '" + key + "')";  // outlives the reader
        protobuf::reader r(reinterpret_cast<const std::uint8_t*>(v.data()), v.size(), source);
        protobuf::tag t;
        while (r.next(t)) {
            switch (t.field) {
                case 1: e.dtype = static_cast<data_type>(r.read_int32(t)); break;
                case 2: e.shape = detail::read_shape(r.read_message(t)); break;
                case 3: e.shard_id = r.read_int32(t); break;
                case 4: e.offset = r.read_int64(t); break;
                case 5: e.size = r.read_int64(t); break;
                case 6: e.crc32c = r.read_fixed32(); break;
                case 7: e.sliced = true; r.skip(t); break;
                default: r.skip(t);
            }
        }
        return e;
    }

    const std::string& shard(std::int32_t i) const {
        auto it = shards_.find(i);
        if (it == shards_.end()) it = shards_.emplace(i, detail::read_whole_file(shard_path(i), "checkpoint shard")).first;
        return it->second;
    }

    std::string prefix_, index_path_;
    std::int32_t num_shards_ = 1;
    std::map<std::string, std::string> raw_;
    std::map<std::string, bundle_entry> entries_;
    mutable std::map<std::int32_t, std::string> shards_;
};

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_TENSOR_BUNDLE_HPP
