#ifndef MOIR_FRONTENDS_ONNX_EXTERN_TEMPLATES_HPP
#define MOIR_FRONTENDS_ONNX_EXTERN_TEMPLATES_HPP

// The ONNX frontend's part of moir/extern_templates.hpp: its converter table and loader compiled once per
// program. Include it in every TU that loads ONNX, and compile the table in exactly one TU, which
// defines MOIR_INSTANTIATE_TEMPLATES (everything in one TU) or MOIR_INSTANTIATE_ONNX_TABLE (this
// table alone, so that it builds in parallel with the parts of moir/extern_templates.hpp).

#include <moir/frontends/onnx/onnx.hpp>

namespace moir::onnx {
#if defined(MOIR_INSTANTIATE_TEMPLATES) || defined(MOIR_INSTANTIATE_ONNX_TABLE)
template const op_table& detail::default_table_impl<void>();
template model frontend::load<void>(const frontends::load_request&);
template model load<void>(const std::string&, const load_options&);
template model convert<void>(const proto::model&, const std::string&, const load_options&);
#else
extern template const op_table& detail::default_table_impl<void>();
extern template model frontend::load<void>(const frontends::load_request&);
extern template model load<void>(const std::string&, const load_options&);
extern template model convert<void>(const proto::model&, const std::string&, const load_options&);
#endif
}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_EXTERN_TEMPLATES_HPP
