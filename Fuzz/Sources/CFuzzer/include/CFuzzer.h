// libFuzzer's driver, linked in by -sanitize=fuzzer: runs the fuzzing loop on `callback` with the
// command line's options and corpus folders. SwiftPM links an executable's entry point as
// `<module>_main`, so each target calls this from there instead of relying on libFuzzer's own main.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
