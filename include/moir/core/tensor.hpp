#ifndef MOIR_CORE_TENSOR_HPP
#define MOIR_CORE_TENSOR_HPP

// moir::tensor: a dense, row-major, 64-byte-aligned buffer with an element type and a static shape.
// Copies share the buffer (like a shared_ptr); clone() makes a deep copy.

#include <moir/core/element_type.hpp>
#include <moir/core/errors.hpp>
#include <moir/core/shape.hpp>

#include <cstddef>      // byte, size_t
#include <cstdlib>      // aligned_alloc, free
#include <cstring>      // memcpy, memset
#include <memory>       // shared_ptr
#include <new>          // bad_alloc
#include <string>       // string
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir {

/// A dense tensor. An empty tensor() has type undefined and no storage.
/// invariant: bytes() == numel(dims()) * size_of(type()); data() is 64-byte aligned (or null when empty).
class tensor {
public:
    tensor() = default;

    /// Allocates a zero-filled tensor of the given type and shape.
    /// ensures: throws moir::shape_error when a dim is negative.
    tensor(element_type type, shape dims) : type_(type), dims_(std::move(dims)) {
        check_dims();
        allocate(true);
    }

    /// A tensor of the given type and shape whose bytes() are left as the allocator gave them (the
    /// padding after them is zeroed): for a caller that writes every byte before reading one (a
    /// plan's outputs, copied from its arena on each run: zero-filling them first cost as much as
    /// the copy). ensures: throws moir::shape_error when a dim is negative.
    static tensor uninitialized(element_type type, shape dims) {
        tensor t;
        t.type_ = type;
        t.dims_ = std::move(dims);
        t.check_dims();
        t.allocate(false);
        return t;
    }

    /// A tensor holding a copy of `values` with the given shape. requires: numel(dims) == values.size().
    template <class T>
    static tensor from_vector(const std::vector<T>& values, shape dims) {
        tensor t(element_type_of_v<T>, std::move(dims));
        MOIR_CHECK(t.numel() == values.size(), shape_error, "tensor::from_vector: value count does not match shape");
        if constexpr (std::is_same_v<T, bool>) {
            for (std::size_t i = 0; i < values.size(); ++i) t.data<bool>()[i] = values[i];
        } else if (!values.empty()) {
            std::memcpy(t.raw(), values.data(), t.bytes());
        }
        return t;
    }
    /// A 1-D tensor of the values.
    template <class T>
    static tensor from_vector(const std::vector<T>& values) {
        return from_vector(values, shape{static_cast<std::int64_t>(values.size())});
    }
    /// A 0-D tensor holding one value.
    template <class T>
    static tensor scalar(T v) {
        return from_vector(std::vector<T>{v}, shape{});
    }

    element_type type() const { return type_; }
    const shape& dims() const { return dims_; }
    std::size_t rank() const { return dims_.size(); }
    std::size_t numel() const { return moir::numel(dims_); }
    std::size_t bytes() const { return numel() * size_of(type_); }
    bool empty() const { return type_ == element_type::undefined; }

    void* raw() { return storage_.get(); }
    const void* raw() const { return storage_.get(); }

    /// Typed access. requires: T matches type() (throws moir::error otherwise).
    template <class T>
    T* data() {
        check_type<T>();
        return static_cast<T*>(raw());
    }
    template <class T>
    const T* data() const {
        check_type<T>();
        return static_cast<const T*>(raw());
    }

    /// Element i converted to T (any element type), e.g. read an i32 shape tensor as int64.
    template <class T>
    T at_as(std::size_t i) const {
        return visit_element_type(type_, [&](auto tag) -> T {
            using S = typename decltype(tag)::type;
            return convert_value<T>(static_cast<const S*>(raw())[i]);
        });
    }
    /// All elements converted to T.
    template <class T>
    std::vector<T> to_vector() const {
        std::vector<T> v(numel());
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = at_as<T>(i);
        return v;
    }

    /// A deep copy with its own storage.
    tensor clone() const {
        tensor t = uninitialized(type_, dims_);
        if (bytes()) std::memcpy(t.raw(), raw(), bytes());
        return t;
    }
    /// A tensor sharing this one's storage with another shape of the same element count.
    tensor reshaped(shape dims) const {
        MOIR_CHECK(moir::numel(dims) == numel(), shape_error,
                   "cannot reshape " + to_string(dims_) + " to " + to_string(dims));
        tensor t = *this;
        t.dims_ = std::move(dims);
        return t;
    }
    /// This tensor converted to another element type (a copy; shares storage when the type is equal).
    tensor converted(element_type to) const {
        if (to == type_) return *this;
        tensor t(to, dims_);
        visit_element_type(type_, [&](auto from_tag) {
            using S = typename decltype(from_tag)::type;
            visit_element_type(to, [&](auto to_tag) {
                using D = typename decltype(to_tag)::type;
                const S* s = static_cast<const S*>(raw());
                D* d = static_cast<D*>(t.raw());
                for (std::size_t i = 0, n = numel(); i < n; ++i) d[i] = convert_value<D>(s[i]);
            });
        });
        return t;
    }
    /// True when both have the same type, shape and bytes.
    bool same_as(const tensor& o) const {
        return type_ == o.type_ && dims_ == o.dims_ &&
               (bytes() == 0 || std::memcmp(raw(), o.raw(), bytes()) == 0);
    }

private:
    template <class T>
    void check_type() const {
        MOIR_CHECK(element_type_of_v<T> == type_, error,
                   "tensor holds " + std::string(ir_name(type_)) + ", accessed as " +
                       std::string(ir_name(element_type_of_v<T>)));
    }
    void check_dims() const {
        for (auto d : dims_) MOIR_CHECK(d >= 0, shape_error, "tensor shape " + to_string(dims_) + " has a negative dim");
    }
    /// zero: fill the elements with zeros too (the padding after them always is).
    void allocate(bool zero) {
        const std::size_t n = bytes();
        const std::size_t padded = ((n + 63) / 64) * 64 + 64;  // never 0, room for vector tails
        void* p = std::aligned_alloc(64, padded);
        if (!p) MOIR_THROW(std::bad_alloc());
        if (zero)
            std::memset(p, 0, padded);
        else
            std::memset(static_cast<std::byte*>(p) + n, 0, padded - n);
        storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
    }

    element_type type_ = element_type::undefined;
    shape dims_;
    std::shared_ptr<std::byte> storage_;
};

}  // namespace moir

#endif  // MOIR_CORE_TENSOR_HPP
