// SPDX-License-Identifier: MIT
// The cost of one hard switch: slp's stack engine with resident stacks and
// with stack slicing, against Boost.Context (jump_fcontext, callcc) and
// ucontext's swapcontext, all in one binary so that every figure is also a
// ratio measured in the same run.
//
// Every iteration is one round trip: two one-way switches. The per_switch
// counter is seconds per one-way switch (the console prints it in ns).
// The slicing benchmarks read the slice sizes back from stack_bytes() and
// report them as slice_bytes (the smaller of the two contexts' slices) and
// copied_bytes (bytes saved plus bytes restored by one switch).
//
// Every timed loop starts from a clean MXCSR (0x1f80), except the two pairs
// that measure sticky flags on purpose: a switch that reloads a saved MXCSR
// whose sticky flags differ from the live ones costs tens of nanoseconds on
// recent x86 cores (shared/reference/perf-anchors.md §4.1).
#include <alloca.h>
#include <benchmark/benchmark.h>
#include <ucontext.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#ifndef SLP_BENCH_BOOST_CONTEXT
#define SLP_BENCH_BOOST_CONTEXT 0
#endif
#if SLP_BENCH_BOOST_CONTEXT
#include <boost/context/continuation.hpp>
#include <boost/context/detail/fcontext.hpp>
#endif

#include "arch/switch.h"
#include "bench_support.hpp"
#include "core/context.hpp"
#include "core/stack_engine.hpp"
#include "core/stack_slice.hpp"
#include "slp/config.hpp"

namespace slp::bench {
namespace {

// Every context here runs a few frames deep; the largest live block is 16 KiB.
constexpr std::size_t stack_size = 256 * 1024;

// count_switches: adds per_switch, the seconds of one one-way switch when an
// iteration is `switches` of them.
void count_switches(benchmark::State& state, double switches = 2.0) {
  state.counters["per_switch"] = benchmark::Counter(
      switches, benchmark::Counter::kIsIterationInvariantRate |
                    benchmark::Counter::kInvert);
}

// --- floating-point status ---------------------------------------------------

#if defined(__x86_64__)
constexpr unsigned mxcsr_status_bits = 0x3f;   // the sticky exception flags
constexpr unsigned mxcsr_inexact_flag = 0x20;  // PE
constexpr std::size_t saved_mxcsr_offset = SLP_FRAME_MXCSR;
static_assert(saved_mxcsr_offset == 0, "where fcontext's frame has it too");

// raise_inexact: a division that cannot be exact sets the sticky PE flag,
// as any double arithmetic in real code does. No ldmxcsr involved.
void raise_inexact() noexcept {
  volatile double third = 1.0;
  third = third / 3.0;
}

// clear_fp_status: clears the sticky flags (an ldmxcsr), keeping the modes.
void clear_fp_status() noexcept {
  _mm_setcsr(_mm_getcsr() & ~mxcsr_status_bits);
}

// saved_mxcsr: the MXCSR word stored in a suspended context's switch frame.
unsigned saved_mxcsr(const void* frame) noexcept {
  std::uint32_t word = 0;
  std::memcpy(&word, static_cast<const std::byte*>(frame) + saved_mxcsr_offset,
              sizeof word);
  return word;
}

// inexact_differs: whether the live PE flag differs from the one in `frame`.
bool inexact_differs(const void* frame) noexcept {
  return ((_mm_getcsr() ^ saved_mxcsr(frame)) & mxcsr_inexact_flag) != 0;
}
#endif

// What each side of a ping-pong does to the FP status before it switches.
enum class fp_work {
  none,
  // The driver raises PE, the echo clears it: at every switch the live
  // sticky flags differ from those saved in the target's frame.
  flags_differ,
  // The same two operations, both in the driver, before it switches: the
  // flags are equal at every switch. The control for flags_differ.
  flags_same,
};

// --- stacks and live stack data ----------------------------------------------

// --- slp: two contexts on a bare stack engine --------------------------------

struct pingpong;

// player: one side of a ping-pong, with its own body.
struct player : core::context {
  pingpong* game = nullptr;
  player* peer = nullptr;
  core::context::body_fn body = nullptr;

  // start: the engine's body: each player runs its own.
  static void start(core::context& self, void* value) noexcept {
    auto& p = static_cast<player&>(self);
    p.body(p, value);
  }
};

// pingpong: a `driver` that runs the benchmark loop and an `echo` that
// switches straight back, on `stack_count` execution stacks: with 2 both
// stay resident; with 1 every switch saves one slice and restores the
// other. The thread's own context only starts the driver and waits.
struct pingpong {
  pingpong(benchmark::State& s, std::size_t stack_count, std::size_t live_block,
           core::context::body_fn driver_body, core::context::body_fn echo_body)
      : state(s),
        engine(stacks(stack_count), &player::start),
        live_bytes(live_block) {
    thread_main.state = core::context::status::running;
    driver.game = this;
    echo.game = this;
    driver.peer = &echo;
    echo.peer = &driver;
    driver.body = driver_body;
    echo.body = echo_body;
    driver.id = 1;
    echo.id = 2;
  }

  static config stacks(std::size_t count) {
    config cfg;
    cfg.stack_size = stack_size;
    cfg.stack_count = count;
    return cfg;
  }

  // play: runs the driver from the thread's context until it finishes.
  void play() {
    engine.transfer(thread_main, driver);
    engine.forget(driver);
    engine.forget(echo);
  }

  // check_slices: after the warm-up round trip, before the timed loop: each
  // slice must hold at least the live block, and be non-empty when the two
  // contexts share one stack.
  void check_slices() {
    const std::size_t smaller = std::min(driver_slice, echo_slice);
    const bool slicing = engine.configuration().stack_count == 1;
    if (smaller < live_bytes || (slicing && smaller == 0)) {
      state.SkipWithError(
          "slice read back from stack_bytes() is smaller than "
          "the live block: not measuring what the name says");
    }
    state.counters["slice_bytes"] = static_cast<double>(smaller);
    state.counters["copied_bytes"] =
        static_cast<double>(driver_slice + echo_slice);
  }

  benchmark::State& state;
  core::stack_engine engine;
  core::context thread_main;
  player driver;
  player echo;
  std::size_t live_bytes;
  bool stop = false;
  bool data_lost = false;
  bool flags_equal = false;      // fp_work::flags_differ found them equal
  std::size_t driver_slice = 0;  // read by the echo while the driver is out
  std::size_t echo_slice = 0;    // read by the driver while the echo is out
};

// before_switch: the FP work one side does before each switch.
template <fp_work Work, bool Driving>
inline void before_switch() noexcept {
#if defined(__x86_64__)
  if constexpr (Work == fp_work::flags_differ) {
    if constexpr (Driving) {
      raise_inexact();
    } else {
      clear_fp_status();
    }
  } else if constexpr (Work == fp_work::flags_same && Driving) {
    raise_inexact();
    clear_fp_status();
  }
#endif
}

// check_flags: for fp_work::flags_differ, that the live PE flag differs
// from the one in the suspended peer's frame at the moment of the switch.
template <fp_work Work>
void check_flags([[maybe_unused]] pingpong& game,
                 [[maybe_unused]] const player& peer) noexcept {
#if defined(__x86_64__)
  if constexpr (Work == fp_work::flags_differ) {
    if (!inexact_differs(peer.sp)) game.flags_equal = true;
  }
#endif
}

// drive: the driver's body of the two-call-site ping-pong (resident, no
// live block): one warm-up round trip, the checks of what the benchmark
// claims, then round trips through engine.transfer.
template <fp_work Work>
void drive(core::context& self, void*) noexcept {
  auto& me = static_cast<player&>(self);
  pingpong& game = *me.game;
  benchmark::State& state = game.state;

  before_switch<Work, true>();
  game.engine.transfer(me, *me.peer);  // warm-up: the echo starts
  game.echo_slice = me.peer->stack_bytes();
  game.check_slices();
  before_switch<Work, true>();
  check_flags<Work>(game, *me.peer);
  if (game.flags_equal) {
    state.SkipWithError("MXCSR sticky flags were equal at a switch");
  }

  for (auto _ : state) {
    before_switch<Work, true>();
    game.engine.transfer(me, *me.peer);
  }

  game.stop = true;
  game.engine.transfer(me, *me.peer);  // the echo finishes back here
  game.engine.finish(me, game.thread_main, nullptr);
}

// echo: the other side: switches straight back until told to stop.
template <fp_work Work>
void echo(core::context& self, void*) noexcept {
  auto& me = static_cast<player&>(self);
  pingpong& game = *me.game;
  game.driver_slice = me.peer->stack_bytes();

  before_switch<Work, false>();
  check_flags<Work>(game, *me.peer);
  while (!game.stop) {
    game.engine.transfer(me, *me.peer);
    before_switch<Work, false>();
  }
  game.engine.finish(me, *me.peer, nullptr);
}

// switch_through: the one call site both sides of the symmetric ping-pong
// switch from, so a return after a switch goes back to the address the
// other side called from.
[[gnu::noipa]] void* switch_through(core::stack_engine& engine,
                                    core::context& from, core::context& to) {
  return engine.transfer(from, to, nullptr);
}

// symmetric: the body of both sides of the symmetric ping-pong: the same
// loop, the same helper, the same call site. Each side keeps `live_bytes`
// on its stack, checked byte for byte at the end.
void symmetric(core::context& self, void*) noexcept {
  auto& me = static_cast<player&>(self);
  pingpong& game = *me.game;
  const bool driving = &me == &game.driver;
  const unsigned char mark = driving ? 1 : 2;
  const std::size_t n = game.live_bytes;
  auto* live =
      static_cast<volatile unsigned char*>(n != 0 ? alloca(n) : nullptr);
  fill(live, n, mark);
  if (driving) {
    switch_through(game.engine, me, *me.peer);  // warm-up: the echo starts
    game.echo_slice = me.peer->stack_bytes();
    game.check_slices();
  } else {
    game.driver_slice = me.peer->stack_bytes();  // evicted if one stack
  }
  for (;;) {
    bool drives = driving;
    // Opaque, so that both sides run one copy of the loop and switch from
    // one call site.
    asm volatile("" : "+r"(drives));
    if (drives && !game.state.KeepRunning()) game.stop = true;
    switch_through(game.engine, me, *me.peer);
    if (game.stop) break;
  }
  if (!intact(live, n, mark)) game.data_lost = true;
  game.engine.finish(me, driving ? game.thread_main : *me.peer, nullptr);
}

// play_symmetric: the symmetric ping-pong with `stacks` execution stacks
// and `live` bytes kept on each side's stack.
void play_symmetric(benchmark::State& state, std::size_t stacks,
                    std::size_t live) {
  start_with_clean_fp_state();
  pingpong game(state, stacks, live, &symmetric, &symmetric);
  game.play();
  if (game.data_lost && !state.error_occurred()) {
    state.SkipWithError("live stack data changed across switches");
  }
  count_switches(state);
}

// BM_SlpRawSwitch: two contexts, each resident on its own execution stack,
// ping-pong through engine.transfer: the switch without any copying. The
// driver and the echo call transfer from different places, so the return
// after every switch is predicted to the wrong side (BM_SlpSymmetricSwitch
// has not).
void BM_SlpRawSwitch(benchmark::State& state) {
  start_with_clean_fp_state();
  pingpong game(state, 2, 0, &drive<fp_work::none>, &echo<fp_work::none>);
  game.play();
  count_switches(state);
}

// BM_SlpSymmetricSwitch: two contexts, each resident on its own execution
// stack, run the same loop and switch through the same call site: the
// engine's resident switch as tasklets reach it, through the entry thunks
// (DESIGN.md, "Returning from a switch"). BM_SlpRawSwitch is the same
// switch with a return mispredict in every switch.
void BM_SlpSymmetricSwitch(benchmark::State& state) {
  play_symmetric(state, 2, 0);
}

// BM_SlpSlicingSwitch: the symmetric ping-pong with both contexts on ONE
// execution stack, each keeping `live_bytes` on it: every switch saves the
// outgoing slice to the heap and restores the incoming one.
void BM_SlpSlicingSwitch(benchmark::State& state) {
  play_symmetric(state, 1, static_cast<std::size_t>(state.range(0)));
}

#if defined(__x86_64__)
// BM_SlpMxcsrStickyFlagsDiffer: the raw ping-pong, but the driver raises
// PE before each switch and the echo clears it, so the live sticky flags
// differ from the saved ones at every switch (checked before timing).
void BM_SlpMxcsrStickyFlagsDiffer(benchmark::State& state) {
  start_with_clean_fp_state();
  pingpong game(state, 2, 0, &drive<fp_work::flags_differ>,
                &echo<fp_work::flags_differ>);
  game.play();
  count_switches(state);
}

// BM_SlpMxcsrStickyFlagsSame: the control: the same FP work per round
// trip, all in the driver, so the flags are equal at every switch.
void BM_SlpMxcsrStickyFlagsSame(benchmark::State& state) {
  start_with_clean_fp_state();
  pingpong game(state, 2, 0, &drive<fp_work::flags_same>,
                &echo<fp_work::flags_same>);
  game.play();
  count_switches(state);
}
#endif

// --- slp: the bare assembly switch -------------------------------------------

// asm_pingpong: slp_switch with the least callback that works: it stores
// the outgoing stack pointer and hands out the other one. The floor under
// the stack engine: what the assembly alone costs.
struct asm_pingpong {
  void* driver_sp = nullptr;
  void* echo_sp = nullptr;
  void** save_to = nullptr;   // where the outgoing sp goes
  void* resume_at = nullptr;  // the sp to install
};

void* asm_on_switch(void* self, int op, void* sp) noexcept {
  auto& game = *static_cast<asm_pingpong*>(self);
  if (op == SLP_SWITCH_SAVE) {
    *game.save_to = sp;
    return game.resume_at;
  }
  return nullptr;
}

// asm_switch: from the running side to the other one.
inline void asm_switch(asm_pingpong& game, void** save_to, void* resume_at) {
  game.save_to = save_to;
  game.resume_at = resume_at;
  slp_switch(&asm_on_switch, &game);
}

// asm_echo: switches straight back, forever; abandoned with its stack.
[[noreturn]] void asm_echo(void* self, void*) {
  auto& game = *static_cast<asm_pingpong*>(self);
  for (;;) asm_switch(game, &game.echo_sp, game.driver_sp);
}

// BM_SlpAsmSwitch: the floor of a slicing switch: two stacks, slp_switch
// and a trivial callback, no stack engine (no residency bookkeeping, no
// slices).
void BM_SlpAsmSwitch(benchmark::State& state) {
  start_with_clean_fp_state();
  heap_stack stack(stack_size);
  asm_pingpong game;
  game.echo_sp = slp_init_frame(stack.top(), &asm_echo, &game);
  asm_switch(game, &game.driver_sp, game.echo_sp);  // warm-up
  for (auto _ : state) asm_switch(game, &game.driver_sp, game.echo_sp);
  count_switches(state);
}

// BM_SlpAsmSwap: the floor of a resident switch: slp_swap between two
// stacks, no callbacks, no stack engine.
[[noreturn]] void swap_echo(void* self, void*) {
  auto& game = *static_cast<asm_pingpong*>(self);
  for (;;) slp_swap(&game.echo_sp, game.driver_sp, nullptr);
}

void BM_SlpAsmSwap(benchmark::State& state) {
  start_with_clean_fp_state();
  heap_stack stack(stack_size);
  asm_pingpong game;
  game.echo_sp = slp_init_frame(stack.top(), &swap_echo, &game);
  slp_swap(&game.driver_sp, game.echo_sp, nullptr);  // warm-up
  for (auto _ : state) slp_swap(&game.driver_sp, game.echo_sp, nullptr);
  count_switches(state);
}

// --- the floor of a resident switch, from one call site ---------------------

using swap_fn = void* (*)(void**, void*, void*);

// swap_game: two stacks that swap through `swap`, both sides in swap_loop.
struct swap_game {
  benchmark::State& state;
  swap_fn swap;
  void* sp[2] = {nullptr, nullptr};  // [0] the driver's, [1] the echo's
  bool stop = false;
};

// swap_loop: the one loop both sides run, so every return after a swap
// goes back to the address the other side called from, as the entry thunks
// arrange for tasklets (DESIGN.md, "Returning from a switch").
// noipa: one copy of the loop for both sides, so that both swap from one
// call site.
[[gnu::noipa]] void swap_loop(swap_game& game, int side) {
  for (;;) {
    bool drives = side == 0;
    asm volatile("" : "+r"(drives));  // one loop, not one copy per side
    if (drives && !game.state.KeepRunning()) game.stop = true;
    game.swap(&game.sp[side], game.sp[1 - side], nullptr);
    if (game.stop) return;
  }
}

// one_site_echo: the echo's first frame; abandoned with its stack.
[[noreturn]] void one_site_echo(void* self, void*) {
  auto& game = *static_cast<swap_game*>(self);
  swap_loop(game, 1);
  for (;;) game.swap(&game.sp[1], game.sp[0], nullptr);  // the driver ends
}

void swap_pingpong(benchmark::State& state, swap_fn swap) {
  start_with_clean_fp_state();
  heap_stack stack(stack_size);
  swap_game game{state, swap};
  game.sp[1] = slp_init_frame(stack.top(), &one_site_echo, &game);
  swap(&game.sp[0], game.sp[1], nullptr);  // warm-up: the echo starts
  swap_loop(game, 0);
  count_switches(state);
}

// BM_SlpAsmSwapOneSite: slp_swap as BM_SlpAsmSwap, but both sides swap
// from the same call site: the assembly without the return mispredict.
void BM_SlpAsmSwapOneSite(benchmark::State& state) {
  swap_pingpong(state, &slp_swap);
}

#if defined(__x86_64__)
// BM_SwapFloor*: the same ping-pong through the cost probes of
// bench/swap_floor_x86_64.S, which differ from slp_swap only in the FP
// control state: none, stored only, stored and reloaded unconditionally
// (jump_fcontext's way). slp_swap = stored + compared + reloaded when the
// control bits differ.
extern "C" {
void* bench_swap_no_fp(void** save_sp, void* sp, void* value);
void* bench_swap_fp_store(void** save_sp, void* sp, void* value);
void* bench_swap_fp_reload(void** save_sp, void* sp, void* value);
}

void BM_SwapFloorNoFp(benchmark::State& state) {
  swap_pingpong(state, &bench_swap_no_fp);
}
void BM_SwapFloorFpStore(benchmark::State& state) {
  swap_pingpong(state, &bench_swap_fp_store);
}
void BM_SwapFloorFpReload(benchmark::State& state) {
  swap_pingpong(state, &bench_swap_fp_reload);
}
#endif

// --- the copy floor under a slicing switch -----------------------------------

using copy_fn = void (*)(std::byte* to, const std::byte* from,
                         std::size_t bytes);

void glibc_copy(std::byte* to, const std::byte* from, std::size_t bytes) {
  std::memcpy(to, from, bytes);
}

void slice_copy(std::byte* to, const std::byte* from, std::size_t bytes) {
  core::stack_slice::copy(to, from, bytes);
}

// copy_floor: the copying one slicing switch does, without the switch:
// `bytes` from just below a page-aligned top (where a slice lies on an
// execution stack) to a malloc'd buffer, and another `bytes` from a second
// buffer back to the same place. One iteration is the copying of ONE
// switch.
void copy_floor(benchmark::State& state, copy_fn copy) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t page = 4096;
  const std::size_t region = (bytes + page - 1) / page * page + page;
  auto* stack = static_cast<std::byte*>(std::aligned_alloc(page, region));
  auto* saved_out = static_cast<std::byte*>(std::malloc(bytes));
  auto* saved_in = static_cast<std::byte*>(std::malloc(bytes));
  if (stack == nullptr || saved_out == nullptr || saved_in == nullptr) {
    state.SkipWithError("out of memory");
  } else {
    std::memset(stack, 1, region);
    std::memset(saved_in, 2, bytes);
  }
  std::byte* slice = stack + region - bytes;
  for (auto _ : state) {
    copy(saved_out, slice, bytes);
    copy(slice, saved_in, bytes);
    benchmark::ClobberMemory();
  }
  std::free(saved_in);
  std::free(saved_out);
  std::free(stack);
}

// BM_SliceCopyFloor: with stack_slice::copy, as the engine copies slices.
void BM_SliceCopyFloor(benchmark::State& state) {
  copy_floor(state, &slice_copy);
}

// BM_MemcpySliceFloor: the same with glibc's memcpy, for comparison.
void BM_MemcpySliceFloor(benchmark::State& state) {
  copy_floor(state, &glibc_copy);
}

// --- baselines ---------------------------------------------------------------

#if SLP_BENCH_BOOST_CONTEXT
namespace fcontext = boost::context::detail;

// fcontext_echo: jumps straight back to whoever jumped to it, forever. The
// benchmark abandons it with its stack: nothing on it needs destroying.
void fcontext_echo(fcontext::transfer_t from) {
  for (;;) from = fcontext::jump_fcontext(from.fctx, nullptr);
}

#if defined(__x86_64__)
// fcontext_echo_clearing_flags: the echo of the flags_differ pair.
void fcontext_echo_clearing_flags(fcontext::transfer_t from) {
  for (;;) {
    clear_fp_status();
    from = fcontext::jump_fcontext(from.fctx, nullptr);
  }
}
#endif

// fcontext_pingpong: the thread's context drives, a fresh fcontext echoes.
template <fp_work Work>
void fcontext_pingpong(benchmark::State& state,
                       void (*echo_fn)(fcontext::transfer_t)) {
  start_with_clean_fp_state();
  heap_stack stack(stack_size);
  fcontext::fcontext_t echo_ctx =
      fcontext::make_fcontext(stack.top(), stack.size, echo_fn);
  before_switch<Work, true>();
  echo_ctx = fcontext::jump_fcontext(echo_ctx, nullptr).fctx;  // warm-up
#if defined(__x86_64__)
  if constexpr (Work == fp_work::flags_differ) {
    before_switch<Work, true>();
    if (!inexact_differs(echo_ctx)) {
      state.SkipWithError("MXCSR sticky flags were equal at a switch");
    }
  }
#endif
  for (auto _ : state) {
    before_switch<Work, true>();
    echo_ctx = fcontext::jump_fcontext(echo_ctx, nullptr).fctx;
  }
  count_switches(state);
}

// BM_BoostJumpFcontext: Boost.Context's own primitive, separate stacks.
void BM_BoostJumpFcontext(benchmark::State& state) {
  fcontext_pingpong<fp_work::none>(state, &fcontext_echo);
}

#if defined(__x86_64__)
// BM_BoostJumpFcontextMxcsrDiffers: as BM_SlpMxcsrStickyFlagsDiffer.
// fcontext reloads the whole saved MXCSR at every switch.
void BM_BoostJumpFcontextMxcsrDiffers(benchmark::State& state) {
  fcontext_pingpong<fp_work::flags_differ>(state,
                                           &fcontext_echo_clearing_flags);
}

// BM_BoostJumpFcontextMxcsrSame: its control, as BM_SlpMxcsrStickyFlagsSame.
void BM_BoostJumpFcontextMxcsrSame(benchmark::State& state) {
  fcontext_pingpong<fp_work::flags_same>(state, &fcontext_echo);
}
#endif

// BM_BoostCallcc: the public Boost.Context API: continuation::resume().
void BM_BoostCallcc(benchmark::State& state) {
  namespace context = boost::context;
  start_with_clean_fp_state();
  bool stop = false;
  context::continuation echo_cont =
      context::callcc([&stop](context::continuation&& caller) {
        while (!stop) caller = caller.resume();
        return std::move(caller);
      });
  for (auto _ : state) echo_cont = echo_cont.resume();
  stop = true;
  echo_cont = echo_cont.resume();  // the echo returns: echo_cont is empty
  count_switches(state);
}
#else
constexpr const char* boost_missing =
    "Boost.Context missing at build time (libboost-context-dev): no baseline";

void BM_BoostJumpFcontext(benchmark::State& state) {
  state.SkipWithError(boost_missing);
  for (auto _ : state) {
  }
}
#if defined(__x86_64__)
void BM_BoostJumpFcontextMxcsrDiffers(benchmark::State& state) {
  BM_BoostJumpFcontext(state);
}
void BM_BoostJumpFcontextMxcsrSame(benchmark::State& state) {
  BM_BoostJumpFcontext(state);
}
#endif
void BM_BoostCallcc(benchmark::State& state) { BM_BoostJumpFcontext(state); }
#endif  // SLP_BENCH_BOOST_CONTEXT

// ucontext_pingpong: makecontext passes only ints, so the echo finds its
// game through ucontext_game. The contexts are the benchmark's locals,
// not members: riscv64's ucontext_t ends in a zero-length array, which
// ISO C++ does not allow inside another struct.
struct ucontext_pingpong {
  ucontext_t* driver = nullptr;
  ucontext_t* echo = nullptr;
  bool stop = false;
};
ucontext_pingpong* ucontext_game = nullptr;

void ucontext_echo() {
  ucontext_pingpong& game = *ucontext_game;
  while (!game.stop) swapcontext(game.echo, game.driver);
}  // returns through uc_link to the driver

// BM_Swapcontext: glibc's swapcontext, which also saves and restores the
// signal mask with a system call.
void BM_Swapcontext(benchmark::State& state) {
  start_with_clean_fp_state();
  heap_stack stack(stack_size);
  ucontext_t driver{};
  ucontext_t echo{};
  ucontext_pingpong game{&driver, &echo};
  ucontext_game = &game;
  getcontext(&echo);
  echo.uc_stack.ss_sp = stack.memory;
  echo.uc_stack.ss_size = stack.size;
  echo.uc_link = &driver;
  makecontext(&echo, &ucontext_echo, 0);
  swapcontext(&driver, &echo);  // warm-up
  for (auto _ : state) swapcontext(&driver, &echo);
  game.stop = true;
  swapcontext(&driver, &echo);  // the echo returns here
  ucontext_game = nullptr;
  count_switches(state);
}

// --- registration ------------------------------------------------------------

BENCHMARK(BM_SlpRawSwitch);
BENCHMARK(BM_SlpAsmSwitch);
BENCHMARK(BM_SlpAsmSwap);
BENCHMARK(BM_SlpAsmSwapOneSite);
#if defined(__x86_64__)
BENCHMARK(BM_SwapFloorNoFp);
BENCHMARK(BM_SwapFloorFpStore);
BENCHMARK(BM_SwapFloorFpReload);
#endif
BENCHMARK(BM_BoostJumpFcontext);
BENCHMARK(BM_BoostCallcc);
BENCHMARK(BM_Swapcontext);
BENCHMARK(BM_SlpSymmetricSwitch);
BENCHMARK(BM_SlpSlicingSwitch)
    ->ArgNames({"live_bytes"})
    ->Arg(0)
    ->Arg(64)
    ->Arg(256)
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384);
BENCHMARK(BM_SliceCopyFloor)
    ->ArgNames({"bytes"})
    ->Arg(256)
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384);
BENCHMARK(BM_MemcpySliceFloor)
    ->ArgNames({"bytes"})
    ->Arg(256)
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384);
#if defined(__x86_64__)
BENCHMARK(BM_SlpMxcsrStickyFlagsDiffer);
BENCHMARK(BM_SlpMxcsrStickyFlagsSame);
BENCHMARK(BM_BoostJumpFcontextMxcsrDiffers);
BENCHMARK(BM_BoostJumpFcontextMxcsrSame);
#endif

}  // namespace
}  // namespace slp::bench
