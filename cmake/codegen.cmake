# moir codegen in a build (docs/embedded.md): a framework model converted to IR and compiled into a
# C++ header by the moir tool built here, at build time.
#
#   moir_codegen_model(NAME MODEL [SHAPE [WEIGHTS]])  ${MOIR_CODEGEN_DIR}/NAME.xml/.bin, then NAME.hpp
#                                          (WEIGHTS: the packed weights in NAME_weights.bin, .incbin)
#                                          (namespace moir_models, struct-like namespace NAME)
#   moir_codegen_model_int8(NAME MODEL SHAPE WIDTH)
#                                          the same from an INT8 IR: MODEL quantized by `moir convert
#                                          --data_type INT8`, calibrated on 8 rendered text lines of
#                                          [1,3,48,WIDTH] (tools/render_text.py, Debian's python3)
#   moir_codegen_flags(TARGET)             the compile options the generated headers need for
#                                          MOIR_CODEGEN_ARCH, and the include path of the headers
include_guard(GLOBAL)

set(MOIR_CODEGEN_ARCH avx2 CACHE STRING "The arch of the headers the codegen tests and examples/embedded generate (avx512, avx2, generic)")
set(MOIR_CODEGEN_DIR ${CMAKE_BINARY_DIR}/codegen)

function(moir_codegen_model name model)
    set(dir ${MOIR_CODEGEN_DIR})
    set(shape_flag)
    if(ARGC GREATER 2)
        set(shape_flag --input_shape ${ARGV2})
    endif()
    set(weights_flag)
    set(weights_out)
    if(ARGC GREATER 3 AND ARGV3 STREQUAL "WEIGHTS")
        set(weights_flag --weights ${dir}/${name}_weights.bin)
        set(weights_out ${dir}/${name}_weights.bin)
    endif()
    add_custom_command(OUTPUT ${dir}/${name}.xml ${dir}/${name}.bin
        COMMAND moir_cli convert --input_model ${model} --output_dir ${dir} --model_name ${name} ${shape_flag}
        DEPENDS moir_cli ${model} VERBATIM)
    add_custom_command(OUTPUT ${dir}/${name}.hpp ${weights_out}
        COMMAND moir_cli codegen --model ${dir}/${name}.xml --output ${dir}/${name}.hpp --name ${name}
                --namespace moir_models --arch ${MOIR_CODEGEN_ARCH} ${weights_flag}
        DEPENDS moir_cli ${dir}/${name}.xml VERBATIM)
endfunction()

function(moir_codegen_model_int8 name model shape width)
    set(dir ${MOIR_CODEGEN_DIR})
    set(calib ${dir}/${name}_calibration)
    add_custom_command(OUTPUT ${calib}/labels.txt
        COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tools/render_text.py lines --count 8 --seed 28 --width ${width}
                --rotate_odd --out_dir ${calib}
        DEPENDS ${CMAKE_SOURCE_DIR}/tools/render_text.py VERBATIM)
    add_custom_command(OUTPUT ${dir}/${name}.xml ${dir}/${name}.bin
        COMMAND moir_cli convert --input_model ${model} --output_dir ${dir} --model_name ${name} --input_shape ${shape}
                --data_type INT8 --calibration_data ${calib}
        DEPENDS moir_cli ${model} ${calib}/labels.txt VERBATIM)
    add_custom_command(OUTPUT ${dir}/${name}.hpp
        COMMAND moir_cli codegen --model ${dir}/${name}.xml --output ${dir}/${name}.hpp --name ${name}
                --namespace moir_models --arch ${MOIR_CODEGEN_ARCH}
        DEPENDS moir_cli ${dir}/${name}.xml VERBATIM)
endfunction()

function(moir_codegen_flags target)
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/include ${MOIR_CODEGEN_DIR})
    target_compile_features(${target} PRIVATE cxx_std_17)
    target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti -Wall -Werror)
    if(MOIR_CODEGEN_ARCH STREQUAL "avx2")
        target_compile_options(${target} PRIVATE -mavx2 -mfma)
    elseif(MOIR_CODEGEN_ARCH STREQUAL "avx512")
        target_compile_options(${target} PRIVATE -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma)
    endif()
endfunction()
