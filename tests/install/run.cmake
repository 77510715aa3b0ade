# The install_consumer test (tests/CMakeLists.txt): installs the build tree BUILD_DIR into
# WORK_DIR/prefix, configures tests/install against it with find_package(moir), builds it and runs
# it (with MODEL and its dynamic dims DIMS when MODEL exists).
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX=... [-DMODEL=... -DDIMS=...] -P run.cmake
function(step)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        string(REPLACE ";" " " cmd "${ARGN}")
        message(FATAL_ERROR "install_consumer: '${cmd}' failed (${rc})")
    endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install -B ${WORK_DIR}/build -G ${GENERATOR}
     -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
if(MODEL AND EXISTS ${MODEL})
    separate_arguments(DIMS)
    step(${WORK_DIR}/build/app ${WORK_DIR} ${MODEL} ${DIMS})
else()
    message(STATUS "install_consumer: no ONNX model at '${MODEL}' (tools/setup.sh): the built model only")
    step(${WORK_DIR}/build/app ${WORK_DIR})
endif()
