// SPDX-License-Identifier: MIT
// slp — the unwind tables of a DWARF call-frame walk (core/cfi_walk.hpp):
// a bounded reader over unwind data, DWARF pointer encodings, and the FDE
// (with its CIE) that covers a pc, found through glibc's _dl_find_object
// (lock-free and async-signal-safe) and the object's .eh_frame_hdr search
// table of fixed-size entries (else a linear scan of its .eh_frame). CIE
// augmentations z, R, P, L, S (and AArch64's B and G); pointer encodings
// absptr, udata2/4/8, sdata2/4/8, uleb128 and sleb128, applied pcrel or
// datarel, direct or indirect. The data is read where the dynamic linker
// mapped it (read-only, unaligned: every multi-byte read is a memcpy); no
// lock, no allocation, no system call.
#ifndef SLP_CORE_CFI_TABLES_HPP
#define SLP_CORE_CFI_TABLES_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/cfi_walk.hpp"

namespace slp::core::cfi {

// cursor: a bounded reader over unwind data. A read past `end` reads 0 and
// sets `failed`, which stays set: a parser checks it once at the end.
struct cursor {
  const std::uint8_t* at = nullptr;
  const std::uint8_t* end = nullptr;
  bool failed = false;

  bool room(std::size_t n) noexcept {
    if (failed || static_cast<std::size_t>(end - at) < n) {
      failed = true;
      return false;
    }
    return true;
  }

  template <class T>
  T fixed() noexcept {
    T v{};
    if (room(sizeof(T))) {
      std::memcpy(&v, at, sizeof(T));
      at += sizeof(T);
    }
    return v;
  }

  std::uint8_t byte() noexcept { return fixed<std::uint8_t>(); }

  std::uint64_t uleb() noexcept {
    std::uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
      const std::uint8_t b = byte();
      if (shift < 64) v |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80u) == 0 || failed) return v;
    }
  }

  std::int64_t sleb() noexcept {
    std::uint64_t v = 0;
    unsigned shift = 0;
    std::uint8_t b = 0;
    do {
      b = byte();
      if (shift < 64) v |= std::uint64_t{b & 0x7fu} << shift;
      shift += 7;
    } while ((b & 0x80u) != 0 && !failed);
    if (shift < 64 && (b & 0x40u) != 0) v |= ~std::uint64_t{0} << shift;
    return static_cast<std::int64_t>(v);
  }

  // skip_block: passes over a DWARF expression (its uleb length, then
  // that many bytes) and returns where it starts.
  const std::uint8_t* skip_block() noexcept {
    const std::uint8_t* block = at;
    const std::uint64_t length = uleb();
    if (room(length)) at += length;
    return block;
  }

  word address() const noexcept { return reinterpret_cast<word>(at); }
};

// common_entry: what an FDE takes from its CIE.
struct common_entry {
  word code_align = 1;
  std::int64_t data_align = 0;
  int return_column = ra_column;
  std::uint8_t fde_encoding = 0;   // absptr unless 'R' says otherwise
  bool augmentation_data = false;  // 'z': FDEs have a length-prefixed block
  bool signal_frame = false;       // 'S'
  cursor instructions;
};

// fde: a frame description entry, with its CIE.
struct fde {
  word begin = 0;
  word end = 0;
  cursor instructions;
  common_entry cie;
};

// read_pointer: an encoded pointer; `data_base` is what datarel is
// relative to (0: none is known here).
bool read_pointer(cursor& c, std::uint8_t encoding, word data_base,
                  word* pointer) noexcept;

// find_fde: the FDE covering `pc`, with its CIE; false where no unwind
// table of a loaded object covers it, or it is not understood.
bool find_fde(word pc, fde* out) noexcept;

}  // namespace slp::core::cfi

#endif  // SLP_CORE_CFI_TABLES_HPP
