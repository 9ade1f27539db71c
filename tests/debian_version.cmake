# One version: CMake's project(superd VERSION ...).  Fails when the top
# entry of debian/changelog names another one.
# cmake -DCHANGELOG=path -DVERSION=x.y.z -P debian_version.cmake
file(STRINGS "${CHANGELOG}" first LIMIT_COUNT 1)
if(NOT first MATCHES "^superd \\(([^)]+)\\) ")
	message(FATAL_ERROR "${CHANGELOG}: first line is not "
		"\"superd (VERSION) ...\": ${first}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
	message(FATAL_ERROR "${CHANGELOG} says ${CMAKE_MATCH_1}, CMakeLists.txt "
		"says ${VERSION}: add a changelog entry (dch -v ${VERSION})")
endif()
message(STATUS "debian/changelog and CMakeLists.txt: ${VERSION}")
