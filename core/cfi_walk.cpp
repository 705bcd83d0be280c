// SPDX-License-Identifier: MIT
// slp — one step of a DWARF call-frame-information walk (core/cfi_walk.hpp):
// the FDE that covers a pc, the row its CFA program gives at that pc, and
// the caller's registers by that row's rules.
//
// The unwind data is read where the dynamic linker mapped it (read-only,
// and unaligned: every multi-byte read is a memcpy); the stack only
// through the caller's stack_memory. No lock, no allocation, no system
// call: _dl_find_object is lock-free and async-signal-safe (glibc 2.35),
// and everything else is arithmetic on the step's own locals.
//
// What it understands (docs/DESIGN.md, "Backtraces"): .eh_frame_hdr
// search tables of fixed-size entries, else a linear scan of .eh_frame;
// CIE augmentations z, R, P, L, S (and AArch64's B and G); pointer
// encodings absptr, udata2/4/8, sdata2/4/8, uleb128 and sleb128, applied
// pcrel or datarel, direct or indirect; every DWARF 4 CFA instruction,
// with DW_CFA_GNU_args_size, DW_CFA_GNU_negative_offset_extended and
// AArch64's DW_CFA_AARCH64_negate_ra_state, and up to 4 remembered rows;
// DWARF expressions of constants, register values, loads and arithmetic
// (signal frames and realigned stacks use them); and, on AArch64 and
// riscv64, the rt_sigreturn trampoline that has no FDE under qemu-user.
// Anything else ends the walk at that frame.
#include "core/cfi_walk.hpp"

#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace slp::core::cfi {

namespace {

// --- reading unwind data -----------------------------------------------------

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

// read_pointer: an encoded pointer; `data_base` is what datarel is
// relative to (0: none is known here).
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

// --- CIEs and FDEs -----------------------------------------------------------

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

// --- the CFA program ---------------------------------------------------------

// how: a register's rule in a row. The caller's value of the register is
// the frame's own (same), unknown (undefined), the word at CFA + n
// (at_offset), CFA + n itself (is_offset), the frame's register n
// (in_register), the word at the address an expression computes
// (at_expression), or the expression's value (is_expression).
enum class how : std::uint8_t {
  same,
  undefined,
  at_offset,
  is_offset,
  in_register,
  at_expression,
  is_expression
};

// operand: what a rule needs besides its kind.
union operand {
  std::int64_t number;             // the offset or the register
  const std::uint8_t* expression;  // its uleb length, then its bytes
};

// row: the rules at one pc: how the CFA is computed, and each register's
// (an operand is read only where its rule needs one).
struct row {
  int cfa_register;
  std::int64_t cfa_offset;
  const std::uint8_t* cfa_expression;  // set: the CFA is its value
  bool ra_signed;  // AArch64: the return address carries a PAC
  how kind[register_count];
  operand operands[register_count];

  // clear: no CFA yet, and every register keeps its value.
  void clear() noexcept {
    cfa_register = -1;
    cfa_offset = 0;
    cfa_expression = nullptr;
    ra_signed = false;
    for (how& k : kind) k = how::same;
  }
};

// program: the state of a CFA program: the current row, the row after the
// CIE's instructions (what DW_CFA_restore goes back to), and the rows
// DW_CFA_remember_state keeps. Left uninitialized but for what is read.
struct program {
  row current;
  row initial;
  row remembered[4];
  int depth;

  program() noexcept : depth(0) { current.clear(); }
};

// factored: n times an alignment factor, wrapping (as addresses do)
// rather than overflowing.
std::int64_t factored(std::uint64_t n, std::int64_t factor) noexcept {
  return static_cast<std::int64_t>(n * static_cast<std::uint64_t>(factor));
}

// tracked: whether the walk keeps register n; rules of others (floating
// point and vector registers) are read and ignored.
bool tracked(std::uint64_t n) noexcept {
  return n < static_cast<std::uint64_t>(register_count);
}

void set_rule(row& r, std::uint64_t n, how kind, std::int64_t number) noexcept {
  if (!tracked(n)) return;
  r.kind[n] = kind;
  r.operands[n].number = number;
}

void set_expression(row& r, std::uint64_t n, how kind,
                    const std::uint8_t* block) noexcept {
  if (!tracked(n)) return;
  r.kind[n] = kind;
  r.operands[n].expression = block;
}

// restore: register n's rule back to the CIE's.
void restore(program& p, std::uint64_t n) noexcept {
  if (!tracked(n)) return;
  p.current.kind[n] = p.initial.kind[n];
  p.current.operands[n] = p.initial.operands[n];
}

// run: executes `code` from location `location` while the rows it
// defines start at or below `target`; the program's current row is then
// the one for `target`. False for an instruction the walk does not know.
bool run(cursor code, const common_entry& info, word location, word target,
         program& p) noexcept {
  row& r = p.current;
  while (code.at < code.end && !code.failed) {
    const std::uint8_t op = code.byte();
    word next = location;
    switch (op >> 6) {
      case 1:  // DW_CFA_advance_loc
        next = location + (op & 0x3fu) * info.code_align;
        if (target < next) return true;
        location = next;
        continue;
      case 2:  // DW_CFA_offset
        set_rule(r, op & 0x3fu, how::at_offset,
                 factored(code.uleb(), info.data_align));
        continue;
      case 3:  // DW_CFA_restore
        restore(p, op & 0x3fu);
        continue;
      default:
        break;
    }
    switch (op) {
      case 0x00:  // DW_CFA_nop
        break;
      case 0x01:  // DW_CFA_set_loc
        if (!read_pointer(code, info.fde_encoding, 0, &next) ||
            next < location) {
          return false;
        }
        if (target < next) return true;
        location = next;
        break;
      case 0x02:    // DW_CFA_advance_loc1
      case 0x03:    // DW_CFA_advance_loc2
      case 0x04: {  // DW_CFA_advance_loc4
        word delta = 0;
        if (op == 0x02) {
          delta = code.byte();
        } else if (op == 0x03) {
          delta = code.fixed<std::uint16_t>();
        } else {
          delta = code.fixed<std::uint32_t>();
        }
        next = location + delta * info.code_align;
        if (target < next) return true;
        location = next;
        break;
      }
      case 0x05: {  // DW_CFA_offset_extended
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::at_offset, factored(code.uleb(), info.data_align));
        break;
      }
      case 0x06: {  // DW_CFA_restore_extended
        const std::uint64_t n = code.uleb();
        restore(p, n);
        break;
      }
      case 0x07:  // DW_CFA_undefined
        set_rule(r, code.uleb(), how::undefined, 0);
        break;
      case 0x08:  // DW_CFA_same_value
        set_rule(r, code.uleb(), how::same, 0);
        break;
      case 0x09: {  // DW_CFA_register
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::in_register,
                 static_cast<std::int64_t>(code.uleb()));
        break;
      }
      case 0x0a:  // DW_CFA_remember_state: the whole row, CFA included
        if (p.depth == 4) return false;
        p.remembered[p.depth++] = r;
        break;
      case 0x0b:  // DW_CFA_restore_state
        if (p.depth == 0) return false;
        r = p.remembered[--p.depth];
        break;
      case 0x0c:  // DW_CFA_def_cfa
        r.cfa_register = static_cast<int>(code.uleb() & 0xffff);
        r.cfa_offset = static_cast<std::int64_t>(code.uleb());
        r.cfa_expression = nullptr;
        break;
      case 0x0d:  // DW_CFA_def_cfa_register
        r.cfa_register = static_cast<int>(code.uleb() & 0xffff);
        r.cfa_expression = nullptr;
        break;
      case 0x0e:  // DW_CFA_def_cfa_offset
        r.cfa_offset = static_cast<std::int64_t>(code.uleb());
        break;
      case 0x0f:  // DW_CFA_def_cfa_expression
        r.cfa_expression = code.skip_block();
        break;
      case 0x10: {  // DW_CFA_expression
        const std::uint64_t n = code.uleb();
        set_expression(r, n, how::at_expression, code.skip_block());
        break;
      }
      case 0x11: {  // DW_CFA_offset_extended_sf
        const std::uint64_t n = code.uleb();
        set_rule(
            r, n, how::at_offset,
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align));
        break;
      }
      case 0x12:  // DW_CFA_def_cfa_sf
        r.cfa_register = static_cast<int>(code.uleb() & 0xffff);
        r.cfa_offset =
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align);
        r.cfa_expression = nullptr;
        break;
      case 0x13:  // DW_CFA_def_cfa_offset_sf
        r.cfa_offset =
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align);
        break;
      case 0x14: {  // DW_CFA_val_offset
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::is_offset, factored(code.uleb(), info.data_align));
        break;
      }
      case 0x15: {  // DW_CFA_val_offset_sf
        const std::uint64_t n = code.uleb();
        set_rule(
            r, n, how::is_offset,
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align));
        break;
      }
      case 0x16: {  // DW_CFA_val_expression
        const std::uint64_t n = code.uleb();
        set_expression(r, n, how::is_expression, code.skip_block());
        break;
      }
#if defined(__aarch64__)
      case 0x2d:  // DW_CFA_AARCH64_negate_ra_state
        r.ra_signed = !r.ra_signed;
        break;
#endif
      case 0x2e:  // DW_CFA_GNU_args_size: for landing pads only
        code.uleb();
        break;
      case 0x2f: {  // DW_CFA_GNU_negative_offset_extended
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::at_offset, -factored(code.uleb(), info.data_align));
        break;
      }
      default:  // DW_CFA_GNU_window_save on others, vendor extensions
        return false;
    }
  }
  return !code.failed;
}

// --- DWARF expressions -------------------------------------------------------

// binary: the result of a DWARF binary operator on `a` (the second entry
// of the stack) and `b` (its top); false for any other operator.
bool binary(std::uint8_t op, word a, word b, word* v) noexcept {
  const auto sa = static_cast<std::intptr_t>(a);
  const auto sb = static_cast<std::intptr_t>(b);
  switch (op) {
    case 0x1a:  // DW_OP_and
      *v = a & b;
      return true;
    case 0x1c:  // DW_OP_minus
      *v = a - b;
      return true;
    case 0x21:  // DW_OP_or
      *v = a | b;
      return true;
    case 0x22:  // DW_OP_plus
      *v = a + b;
      return true;
    case 0x24:  // DW_OP_shl
      *v = b < 64 ? a << b : 0;
      return true;
    case 0x25:  // DW_OP_shr
      *v = b < 64 ? a >> b : 0;
      return true;
    case 0x26:  // DW_OP_shra
      *v = static_cast<word>(b < 64 ? sa >> b : (sa < 0 ? -1 : 0));
      return true;
    case 0x27:  // DW_OP_xor
      *v = a ^ b;
      return true;
    case 0x29:  // DW_OP_eq
      *v = sa == sb;
      return true;
    case 0x2a:  // DW_OP_ge
      *v = sa >= sb;
      return true;
    case 0x2b:  // DW_OP_gt
      *v = sa > sb;
      return true;
    case 0x2c:  // DW_OP_le
      *v = sa <= sb;
      return true;
    case 0x2d:  // DW_OP_lt
      *v = sa < sb;
      return true;
    case 0x2e:  // DW_OP_ne
      *v = sa != sb;
      return true;
    default:
      return false;
  }
}

// evaluate: the value of the expression at `block` in the frame `r`,
// with `cfa` pushed first when `push_cfa` (as register rules have it).
// Constants, register values (DW_OP_breg*), loads (DW_OP_deref), the stack
// operators and arithmetic; branches and the rest end the walk.
bool evaluate(const std::uint8_t* block, const registers& r,
              const stack_memory& memory, bool push_cfa, word cfa,
              word* result) noexcept {
  cursor c{block, block + 10, false};
  const std::uint64_t length = c.uleb();
  if (c.failed) return false;
  c.end = c.at + length;  // within its FDE: the program skipped over it
  word stack[16];
  int depth = 0;
  if (push_cfa) stack[depth++] = cfa;
  while (c.at < c.end) {
    const std::uint8_t op = c.byte();
    word v = 0;
    bool pushes = true;              // most operators push one value
    if (op >= 0x30 && op <= 0x4f) {  // DW_OP_lit0-31
      v = op - 0x30u;
    } else if (op >= 0x70 && op <= 0x8f) {  // DW_OP_breg0-31
      const int n = op - 0x70;
      const word offset = static_cast<word>(c.sleb());
      if (n >= register_count || !r.has(n)) return false;
      v = r.value[n] + offset;
    } else {
      switch (op) {
        case 0x03:  // DW_OP_addr
          v = c.fixed<word>();
          break;
        case 0x08:  // DW_OP_const1u
          v = c.byte();
          break;
        case 0x09:  // DW_OP_const1s
          v = static_cast<word>(std::intptr_t{c.fixed<std::int8_t>()});
          break;
        case 0x0a:  // DW_OP_const2u
          v = c.fixed<std::uint16_t>();
          break;
        case 0x0b:  // DW_OP_const2s
          v = static_cast<word>(std::intptr_t{c.fixed<std::int16_t>()});
          break;
        case 0x0c:  // DW_OP_const4u
          v = c.fixed<std::uint32_t>();
          break;
        case 0x0d:  // DW_OP_const4s
          v = static_cast<word>(std::intptr_t{c.fixed<std::int32_t>()});
          break;
        case 0x0e:  // DW_OP_const8u
        case 0x0f:  // DW_OP_const8s
          v = static_cast<word>(c.fixed<std::uint64_t>());
          break;
        case 0x10:  // DW_OP_constu
          v = static_cast<word>(c.uleb());
          break;
        case 0x11:  // DW_OP_consts
          v = static_cast<word>(c.sleb());
          break;
        case 0x92: {  // DW_OP_bregx
          const std::uint64_t n = c.uleb();
          const word offset = static_cast<word>(c.sleb());
          if (!tracked(n) || !r.has(static_cast<int>(n))) return false;
          v = r.value[n] + offset;
          break;
        }
        case 0x96:  // DW_OP_nop
          pushes = false;
          break;
        case 0x12:  // DW_OP_dup
        case 0x14:  // DW_OP_over
          if (depth < (op == 0x12 ? 1 : 2)) return false;
          v = stack[depth - (op == 0x12 ? 1 : 2)];
          break;
        default: {
          // The rest work on the stack in place.
          pushes = false;
          if (depth == 0) return false;
          word& top = stack[depth - 1];
          if (op == 0x06) {  // DW_OP_deref
            if (!memory.read(memory.context, top, &top)) return false;
          } else if (op == 0x13) {  // DW_OP_drop
            --depth;
          } else if (op == 0x16) {  // DW_OP_swap
            if (depth < 2) return false;
            const word second = stack[depth - 2];
            stack[depth - 2] = top;
            top = second;
          } else if (op == 0x1f) {  // DW_OP_neg
            top = 0 - top;
          } else if (op == 0x20) {  // DW_OP_not
            top = ~top;
          } else if (op == 0x23) {  // DW_OP_plus_uconst
            top += static_cast<word>(c.uleb());
          } else {
            if (depth < 2 || !binary(op, stack[depth - 2], top, &v)) {
              return false;
            }
            stack[--depth - 1] = v;
          }
        }
      }
    }
    if (c.failed) return false;
    if (pushes) {
      if (depth == 16) return false;
      stack[depth++] = v;
    }
  }
  if (depth == 0) return false;
  *result = stack[depth - 1];
  return true;
}

// --- the step ----------------------------------------------------------------

// preserved: the registers a call leaves as they were (callee-saved, the
// stack pointer, and the link register, which holds the return address):
// after an ordinary frame, the caller's other registers are unknown.
#if defined(__x86_64__)
constexpr std::uint32_t preserved = 1u << 3 | 1u << 6 | 1u << 7 | 0xfu << 12;
#elif defined(__aarch64__)
constexpr std::uint32_t preserved = 0x1fffu << 19;  // x19-x30, sp
#elif defined(__riscv)
constexpr std::uint32_t preserved =
    1u << 1 | 1u << 2 | 1u << 8 | 1u << 9 | 0x3ffu << 18;
#endif

#if defined(__aarch64__)
// strip_pac: a return address without its pointer authentication code
// (xpaclri: a no-op on a processor without PAC).
word strip_pac(word address) noexcept {
  register word lr asm("x30") = address;
  asm("hint #7" : "+r"(lr));
  return lr;
}
#endif

#if defined(__aarch64__) || defined(__riscv)
// A signal handler returns to the kernel's (or qemu's) rt_sigreturn
// trampoline, which has no FDE where qemu-user provides it. Its two
// instructions identify it, and its stack pointer is the kernel's
// struct rt_sigframe: a siginfo_t (128 bytes), then the ucontext_t, whose
// mcontext starts 176 bytes in (both ABIs' struct ucontext).
constexpr word mcontext = 128 + 176;
#if defined(__aarch64__)
constexpr std::uint32_t sigreturn_code[2] = {0xd2801168,   // mov x8, #139
                                             0xd4000001};  // svc #0
// struct sigcontext: fault_address, x0-x30, sp, pc.
constexpr int first_saved = 0;
constexpr int last_saved = 30;
constexpr word saved_x0 = mcontext + 8;
constexpr word saved_sp = mcontext + 8 + 31 * 8;
constexpr word saved_pc = mcontext + 8 + 32 * 8;
#else
constexpr std::uint32_t sigreturn_code[2] = {0x08b00893,   // li a7, 139
                                             0x00000073};  // ecall
// struct sigcontext: pc, then x1-x31 (x0 is not saved; x_n at 8n).
constexpr int first_saved = 1;
constexpr int last_saved = 31;
constexpr word saved_x0 = mcontext;
constexpr word saved_sp = mcontext + 2 * 8;
constexpr word saved_pc = mcontext;
#endif

// through_sigreturn: the registers a signal interrupted, when `r` is the
// frame of an rt_sigreturn trampoline without unwind data.
bool through_sigreturn(registers& r, const stack_memory& memory) noexcept {
  if (r.pc_exact || r.pc % 4 != 0 || !r.has(sp_column)) return false;
  std::uint32_t code[2];
  std::memcpy(code, reinterpret_cast<const void*>(r.pc), sizeof code);
  if (code[0] != sigreturn_code[0] || code[1] != sigreturn_code[1]) {
    return false;
  }
  const word frame = r.sp();
  registers caller;
  for (int n = first_saved; n <= last_saved; ++n) {
    word v = 0;
    const word slot = frame + saved_x0 + 8 * static_cast<word>(n);
    if (!memory.read(memory.context, slot, &v)) {
      return false;
    }
    caller.set(n, v);
  }
  word sp = 0;
  word pc = 0;
  if (!memory.read(memory.context, frame + saved_sp, &sp) ||
      !memory.read(memory.context, frame + saved_pc, &pc) || pc == 0) {
    return false;
  }
  caller.set(sp_column, sp);
  caller.pc = pc;
  caller.pc_exact = true;  // the interrupted instruction, not a return
  r = caller;
  return true;
}
#endif

// apply: the caller's value of a register by rule `x`, into `caller`
// (unknown where the rule needs what the walk does not know).
bool apply(how kind, operand x, int n, const registers& r,
           const stack_memory& memory, word cfa, registers& caller) noexcept {
  word v = 0;
  switch (kind) {
    case how::same:
      return true;
    case how::undefined:
      caller.known &= ~(std::uint32_t{1} << n);
      return true;
    case how::at_offset:
      if (!memory.read(memory.context, cfa + static_cast<word>(x.number), &v)) {
        return false;
      }
      break;
    case how::is_offset:
      v = cfa + static_cast<word>(x.number);
      break;
    case how::in_register:
      if (!tracked(static_cast<std::uint64_t>(x.number)) ||
          !r.has(static_cast<int>(x.number))) {
        caller.known &= ~(std::uint32_t{1} << n);
        return true;
      }
      v = r.value[x.number];
      break;
    case how::at_expression:
      if (!evaluate(x.expression, r, memory, true, cfa, &v) ||
          !memory.read(memory.context, v, &v)) {
        return false;
      }
      break;
    case how::is_expression:
      if (!evaluate(x.expression, r, memory, true, cfa, &v)) return false;
      break;
  }
  caller.set(n, v);
  return true;
}

}  // namespace

bool step(registers& r, const stack_memory& memory) noexcept {
  // A return address may be just past its function (after a call that
  // does not return): the call itself, one byte before, is in it.
  const word pc = r.pc_exact ? r.pc : r.pc - 1;
  fde f;
  if (!find_fde(pc, &f)) {
#if defined(__aarch64__) || defined(__riscv)
    return through_sigreturn(r, memory);
#else
    return false;
#endif
  }
  program p;
  if (!run(f.cie.instructions, f.cie, 0, ~word{0}, p)) return false;
  p.initial = p.current;
  if (!run(f.instructions, f.cie, f.begin, pc, p)) return false;
  const row& now = p.current;

  word cfa = 0;
  if (now.cfa_expression != nullptr) {
    if (!evaluate(now.cfa_expression, r, memory, false, 0, &cfa)) return false;
  } else {
    if (now.cfa_register < 0 || now.cfa_register >= register_count ||
        !r.has(now.cfa_register)) {
      return false;
    }
    cfa = r.value[now.cfa_register] + static_cast<word>(now.cfa_offset);
  }

  registers caller = r;
  for (int n = 0; n < register_count; ++n) {
    if (now.kind[n] == how::same) continue;
    if (!apply(now.kind[n], now.operands[n], n, r, memory, cfa, caller)) {
      return false;
    }
  }
  if (now.kind[sp_column] == how::same) caller.set(sp_column, cfa);
  if (!f.cie.signal_frame) {
    // A signal frame restores every register; a call only some.
    caller.known &= preserved | (std::uint32_t{1} << f.cie.return_column);
  }

  // The caller continues at the return address; undefined: the stack's
  // first frame.
  const int ra = f.cie.return_column;
  if (now.kind[ra] == how::undefined || !caller.has(ra)) return false;
  word return_address = caller.value[ra];
#if defined(__aarch64__)
  if (now.ra_signed) return_address = strip_pac(return_address);
#endif
  if (return_address == 0) return false;

  // The stack grows down: an ordinary caller's frame is above. A frame a
  // signal interrupted may have none (a leaf), and a signal frame may be
  // on another stack (sigaltstack).
  const word sp = caller.sp();
  if (!caller.has(sp_column)) return false;
  if (!f.cie.signal_frame &&
      (sp < r.sp() || (sp == r.sp() && !r.pc_exact) || !r.has(sp_column))) {
    return false;
  }
  caller.pc = return_address;
  caller.pc_exact = f.cie.signal_frame;
  r = caller;
  return true;
}

}  // namespace slp::core::cfi
