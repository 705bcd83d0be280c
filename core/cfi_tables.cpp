// SPDX-License-Identifier: MIT
// slp — finding and parsing the FDE that covers a pc (core/cfi_tables.hpp).
#include "core/cfi_tables.hpp"

#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace slp::core::cfi {

namespace {

// --- reading unwind data -----------------------------------------------------

// The pointer encodings (DW_EH_PE_*): a format in the low nibble, how it
// applies in bits 4-6, and bit 7 for a pointer to the value.
constexpr std::uint8_t pe_omit = 0xff;
constexpr std::uint8_t pe_pcrel = 0x10;
constexpr std::uint8_t pe_datarel = 0x30;
constexpr std::uint8_t pe_indirect = 0x80;

// format_size: the bytes of a fixed-size format, 0 for a LEB128 one or an
// unknown one.
std::size_t format_size(std::uint8_t encoding) noexcept {
  switch (encoding & 0x0f) {
    case 0x00:  // absptr
    case 0x08:  // signed, pointer-sized
      return sizeof(word);
    case 0x02:  // udata2
    case 0x0a:  // sdata2
      return 2;
    case 0x03:  // udata4
    case 0x0b:  // sdata4
      return 4;
    case 0x04:  // udata8
    case 0x0c:  // sdata8
      return 8;
    default:
      return 0;
  }
}

// read_format: a value in the format of `encoding`, not yet applied.
bool read_format(cursor& c, std::uint8_t encoding, word* value) noexcept {
  switch (encoding & 0x0f) {
    case 0x00:
    case 0x08:
      *value = c.fixed<word>();
      break;
    case 0x01:
      *value = static_cast<word>(c.uleb());
      break;
    case 0x02:
      *value = c.fixed<std::uint16_t>();
      break;
    case 0x03:
      *value = c.fixed<std::uint32_t>();
      break;
    case 0x04:
      *value = static_cast<word>(c.fixed<std::uint64_t>());
      break;
    case 0x09:
      *value = static_cast<word>(c.sleb());
      break;
    case 0x0a:
      *value = static_cast<word>(std::intptr_t{c.fixed<std::int16_t>()});
      break;
    case 0x0b:
      *value = static_cast<word>(std::intptr_t{c.fixed<std::int32_t>()});
      break;
    case 0x0c:
      *value = static_cast<word>(c.fixed<std::int64_t>());
      break;
    default:
      return false;
  }
  return !c.failed;
}

// --- CIEs and FDEs -----------------------------------------------------------

// entry: the body of the .eh_frame entry at `at` (after its length), or
// an empty cursor for the terminator or a 64-bit entry (not emitted by
// the toolchains of these targets).
cursor entry(const std::uint8_t* at) noexcept {
  std::uint32_t length = 0;
  std::memcpy(&length, at, sizeof length);
  if (length == 0 || length == 0xffffffffu) return cursor{at, at, true};
  return cursor{at + 4, at + 4 + length, false};
}

bool parse_cie(const std::uint8_t* at, common_entry* out) noexcept {
  cursor c = entry(at);
  if (c.fixed<std::uint32_t>() != 0 || c.failed) return false;  // not a CIE
  const std::uint8_t version = c.byte();
  if (version != 1 && version != 3) return false;
  const char* augmentation = reinterpret_cast<const char*>(c.at);
  std::size_t letters = 0;
  while (c.byte() != 0) ++letters;
  if (c.failed) return false;
  out->code_align = static_cast<word>(c.uleb());
  out->data_align = c.sleb();
  const std::uint64_t ra = version == 1 ? c.byte() : c.uleb();
  if (ra >= static_cast<std::uint64_t>(register_count)) return false;
  out->return_column = static_cast<int>(ra);
  if (letters > 0) {
    if (augmentation[0] != 'z') return false;  // e.g. the old "eh"
    out->augmentation_data = true;
    const std::uint64_t length = c.uleb();
    if (!c.room(length)) return false;
    const std::uint8_t* data_end = c.at + length;
    for (std::size_t i = 1; i < letters; ++i) {
      switch (augmentation[i]) {
        case 'R':
          out->fde_encoding = c.byte();
          break;
        case 'L':  // the LSDA's encoding: only exceptions need the LSDA
          c.byte();
          break;
        case 'P': {  // the personality routine: skipped, never followed
          const std::uint8_t encoding = c.byte();
          word ignored = 0;
          if (!read_format(c, encoding, &ignored)) return false;
          break;
        }
        case 'S':
          out->signal_frame = true;
          break;
        case 'B':  // AArch64: return addresses signed with the B key
        case 'G':  // AArch64: memory-tagged stack frames
          break;
        default:
          return false;
      }
    }
    if (c.failed || c.at > data_end) return false;
    c.at = data_end;
  }
  out->instructions = cursor{c.at, c.end, c.failed};
  return !c.failed;
}

// parse_fde: the FDE at `at`, if it is one and its CIE is understood.
// `data_base`: the base of datarel pointers in its object (0: none).
bool parse_fde(const std::uint8_t* at, word data_base, fde* out) noexcept {
  cursor c = entry(at);
  const std::uint8_t* field = c.at;
  const std::uint32_t to_cie = c.fixed<std::uint32_t>();
  if (c.failed || to_cie == 0) return false;  // a CIE, or no entry
  if (!parse_cie(field - to_cie, &out->cie)) return false;
  word range = 0;
  if (!read_pointer(c, out->cie.fde_encoding, data_base, &out->begin) ||
      !read_format(c, out->cie.fde_encoding & 0x0f, &range)) {
    return false;
  }
  out->end = out->begin + range;
  if (out->cie.augmentation_data) {
    const std::uint64_t length = c.uleb();  // the LSDA pointer, if any
    if (!c.room(length)) return false;
    c.at += length;
  }
  out->instructions = cursor{c.at, c.end, c.failed};
  return !c.failed;
}

// scan: the FDE covering `pc` in the .eh_frame at `at`, entry by entry
// to its terminator (for an object whose .eh_frame_hdr has no usable
// search table).
bool scan(const std::uint8_t* at, word pc, fde* out) noexcept {
  for (;;) {
    std::uint32_t length = 0;
    std::memcpy(&length, at, sizeof length);
    if (length == 0 || length == 0xffffffffu) return false;
    std::uint32_t id = 0;
    std::memcpy(&id, at + 4, sizeof id);
    if (id != 0 && parse_fde(at, 0, out) && pc >= out->begin && pc < out->end) {
      return true;
    }
    at += 4 + static_cast<std::size_t>(length);
  }
}

}  // namespace

bool read_pointer(cursor& c, std::uint8_t encoding, word data_base,
                  word* pointer) noexcept {
  if (encoding == pe_omit) return false;
  const word field = c.address();
  word v = 0;
  if (!read_format(c, encoding, &v)) return false;
  switch (encoding & 0x70) {
    case 0x00:
      break;
    case pe_pcrel:
      v += field;
      break;
    case pe_datarel:
      if (data_base == 0) return false;
      v += data_base;
      break;
    default:  // textrel, funcrel, aligned: not emitted for these targets
      return false;
  }
  if ((encoding & pe_indirect) != 0) {
    if (v == 0) return false;
    std::memcpy(&v, reinterpret_cast<const void*>(v), sizeof v);
  }
  *pointer = v;
  return true;
}

// find_fde: the FDE covering `pc`, through the .eh_frame_hdr of the
// object that contains it:
//   u8 version (1), u8 eh_frame_ptr encoding, u8 fde_count encoding,
//   u8 table encoding, eh_frame_ptr, fde_count, then fde_count pairs
//   (initial location, FDE address) sorted by location; datarel values
//   there are relative to the start of .eh_frame_hdr.
bool find_fde(word pc, fde* out) noexcept {
  dl_find_object object;
  if (_dl_find_object(reinterpret_cast<void*>(pc), &object) != 0 ||
      object.dlfo_eh_frame == nullptr) {
    return false;
  }
  const auto* header = static_cast<const std::uint8_t*>(object.dlfo_eh_frame);
  const word base = reinterpret_cast<word>(header);
  // The fixed fields, and at most two LEB128 or 8-byte values.
  cursor c{header, header + 4 + 2 * 10, false};
  const std::uint8_t version = c.byte();
  const std::uint8_t frame_encoding = c.byte();
  const std::uint8_t count_encoding = c.byte();
  const std::uint8_t table_encoding = c.byte();
  word eh_frame = 0;
  if (version != 1 || !read_pointer(c, frame_encoding, base, &eh_frame)) {
    return false;
  }
  word count = 0;
  const std::size_t size = format_size(table_encoding);
  if (count_encoding == pe_omit || table_encoding == pe_omit || size == 0 ||
      (table_encoding & pe_indirect) != 0 ||
      !read_pointer(c, count_encoding, base, &count)) {
    return scan(reinterpret_cast<const std::uint8_t*>(eh_frame), pc, out);
  }
  // The last entry whose initial location is at or below pc. The usual
  // table (datarel sdata4: offsets from the header) is read directly.
  const std::uint8_t* table = c.at;
  const std::size_t pair = 2 * size;
  const auto value_at = [&](const std::uint8_t* at, word* value) {
    if (table_encoding == (pe_datarel | 0x0b)) {
      std::int32_t offset = 0;
      std::memcpy(&offset, at, sizeof offset);
      *value = base + static_cast<word>(std::intptr_t{offset});
      return true;
    }
    cursor field{at, at + size, false};
    return read_pointer(field, table_encoding, base, value);
  };
  word low = 0;
  word high = count;
  while (low < high) {
    const word middle = low + (high - low) / 2;
    word start = 0;
    if (!value_at(table + middle * pair, &start)) return false;
    if (start <= pc) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  word fde_address = 0;
  if (low == 0 || !value_at(table + (low - 1) * pair + size, &fde_address) ||
      !parse_fde(reinterpret_cast<const std::uint8_t*>(fde_address), 0, out)) {
    return false;
  }
  return pc >= out->begin && pc < out->end;
}

}  // namespace slp::core::cfi
