// Anchors the tests' precompiled header: CMake builds it for a target only through a source that uses it,
// and catch_main.cpp cannot (it must define CATCH_CONFIG_MAIN before Catch2 is included).
