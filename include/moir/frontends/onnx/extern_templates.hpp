#ifndef MOIR_FRONTENDS_ONNX_EXTERN_TEMPLATES_HPP
#define MOIR_FRONTENDS_ONNX_EXTERN_TEMPLATES_HPP

// The ONNX frontend's part of moir/extern_templates.hpp: its converter table compiled once per
// program. Include it in every TU that loads ONNX; define MOIR_INSTANTIATE_TEMPLATES in exactly one.

#include <moir/frontends/onnx/onnx.hpp>

namespace moir::onnx {
#ifdef MOIR_INSTANTIATE_TEMPLATES
template const op_table& detail::default_table_impl<void>();
#else
extern template const op_table& detail::default_table_impl<void>();
#endif
}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_EXTERN_TEMPLATES_HPP
