// libFuzzer's driver entry (compiler-rt's FuzzerInterface.h): runs the fuzzing loop
// with the command-line flags, calling `test` for every input.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
