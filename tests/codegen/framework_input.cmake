# moir codegen given a framework model (docs/embedded.md): it runs the graph optimizations moir
# convert runs, so the header it writes from the model itself equals, past its first line (which
# names the source file), the header written from the model's converted IR.
#
#   cmake -DMOIR=moir -DMODEL=model.onnx -DSHAPE=[1,3,48,192] -DNAME=cls -DARCH=avx2
#         -DREFERENCE=codegen/cls.hpp -DWORK=dir -P framework_input.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${MOIR} codegen --model ${MODEL} --input_shape ${SHAPE} --output ${WORK}/${NAME}.hpp
                        --name ${NAME} --namespace moir_models --arch ${ARCH}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "moir codegen on ${MODEL} failed (${rc}): ${err}")
endif()
file(READ ${WORK}/${NAME}.hpp got)
file(READ ${REFERENCE} want)
string(FIND "${got}" "\n" g)
string(FIND "${want}" "\n" w)
string(SUBSTRING "${got}" ${g} -1 got_body)
string(SUBSTRING "${want}" ${w} -1 want_body)
string(LENGTH "${got_body}" gl)
string(LENGTH "${want_body}" wl)
if(NOT got_body STREQUAL want_body)
    message(FATAL_ERROR "the header from ${MODEL} (${gl} characters past line 1) differs from ${REFERENCE}'s (${wl})")
endif()
message(STATUS "the header from ${MODEL} equals ${REFERENCE} past line 1 (${gl} characters)")
