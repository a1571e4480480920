// A cache of decompressed data-set files. Decompressing Fashion-MNIST's 30 MB
// of gzip took 0.08 s of CPU in every run (a quarter of an epoch's); a run
// that finds its file's bytes in the cache maps them instead.
//
// An entry is keyed by the gzip file's path, size, modification time (to the
// nanosecond), inode and device, so that a changed or replaced file misses;
// it holds the key's fields again and a CRC-32 of the bytes, all checked on
// every read, so that a damaged, truncated or foreign entry is ignored (and
// rewritten). Entries are written to a temporary file and renamed into place:
// runs in parallel never see half an entry. Any failure (a read-only or full
// disk, no home) leaves the run to decompress, as without a cache.
//
// The folder: $SYSTRAIN_DATA_CACHE, else $XDG_CACHE_HOME/systrain/data, else
// ~/.cache/systrain/data; SYSTRAIN_DATA_CACHE=off turns the cache off.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

#include "samples.h"

namespace systrain {

// the folder, or "" when the cache is off
std::string data_cache_dir();
// files that decompress to fewer bytes are not cached (a label file: nothing to gain)
constexpr size_t kDataCacheMinBytes = size_t{1} << 20;

// the bytes of gzip file `path` (as `st` found it) from the cache, if a whole,
// matching entry is there: the entry mapped read-only (entries are only ever
// replaced by a rename, never written in place, so a mapped one stays whole)
std::optional<SharedBytes> data_cache_get(const std::string& path, const struct stat& st);
// stores them, best effort
void data_cache_put(const std::string& path, const struct stat& st, const Bytes& bytes);

}  // namespace systrain
