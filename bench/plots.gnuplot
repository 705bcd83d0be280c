# SPDX-License-Identifier: MIT
# slp's benchmark plots, drawn by bench/report.py --plots DIR:
#   gnuplot -e "dir='DIR'; note=''" bench/plots.gnuplot
# Data files in DIR (NaN: missing, or no target there):
#   switch_vs_slice.dat    live_bytes slice_bytes slp_ns fcontext_ns raw_ns target_ns floor_ns
#   schedule_vs_slice.dat  live_bytes slice_bytes schedule_ns (public API, one stack)
#   round_trip.dat         "mechanism" ns_per_round_trip
#   channel.dat            "what" ns_per_message kind (0 slp, 1 baseline)
#   memory.dat             one block per live size (64, 256, 1024, 4096 B):
#                          count slp_bytes boost_bytes target_bytes

if (!exists("note")) note = ""
subtitle = (note ne "" ? "\n".note : "")

set terminal pngcairo size 900,560 font "sans,10" noenhanced
set grid
set key top left box opaque

# --- one-way switch latency against the slice each context keeps -------------
set output dir."/switch_vs_slice.png"
set title "One-way switch latency against slice size".subtitle
set xlabel "slice per context (bytes, read back from stack_bytes())"
set ylabel "ns per one-way switch (median)"
set logscale x 2
set format x "%.0f"
set yrange [0:*]
plot dir."/switch_vs_slice.dat" using 2:3 with linespoints lw 2 pt 7 \
       title "slp engine, stack slicing (2 contexts, 1 stack)", \
     dir."/schedule_vs_slice.dat" using 2:3 with linespoints lw 2 pt 5 \
       title "slp schedule() ping-pong, 1 stack (public API)", \
     dir."/switch_vs_slice.dat" using 2:4 with lines lw 2 dt 2 \
       title "Boost jump_fcontext (separate stacks, no copy)", \
     dir."/switch_vs_slice.dat" using 2:5 with lines lw 2 dt 3 \
       title "slp engine, resident (2 stacks, no copy)", \
     dir."/switch_vs_slice.dat" using 2:7 with linespoints lw 1 dt 4 pt 2 \
       title "floor: resident switch + copying the live bytes out and in", \
     dir."/switch_vs_slice.dat" using 2:6 with points pt 6 ps 2 lw 2 \
       title "engine targets (256 B, 1 KiB, 4 KiB live)", \
     "-" using 1:2 with points pt 4 ps 2 lw 2 \
       title "schedule() targets (14 ns at ~24 B, 18 ns at ~296 B)"
24 14
296 18
e

# --- round trip per mechanism ------------------------------------------------------
set output dir."/round_trip.png"
set title "Round trip (2 one-way switches), log scale".subtitle
unset logscale x
set format x "%g"
set xlabel ""
set ylabel "ns per round trip (median)"
set logscale y
set yrange [1:*]
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics rotate by -30 left
unset key
plot dir."/round_trip.dat" using 0:2:xtic(1) with boxes, \
     dir."/round_trip.dat" using 0:2:(sprintf("%.1f", $2)) with labels offset 0,0.8

# --- channel messages against the Boost.Fiber baselines --------------------------
set output dir."/channel_pingpong.png"
set title "Channel ping-pong: ns per message, log scale (target: 30 ns)".subtitle
set ylabel "ns per message (median)"
set key top left
plot dir."/channel.dat" using 0:($3 == 0 ? $2 : 1/0):xtic(1) with boxes lc rgb "#1f77b4" \
       title "slp", \
     dir."/channel.dat" using 0:($3 == 1 ? $2 : 1/0) with boxes lc rgb "#ff7f0e" \
       title "Boost.Fiber", \
     dir."/channel.dat" using 0:2:(sprintf("%.0f", $2)) with labels offset 0,0.8 notitle, \
     30 with lines lw 2 dt 2 lc rgb "#2ca02c" title "target: 30 ns per message"

# --- resident bytes per parked tasklet against the count ------------------------------
set output dir."/memory_per_tasklet.png"
set title "Resident bytes per parked tasklet against count (live stack per tasklet)".subtitle
unset xtics
set xtics
set xlabel "parked tasklets / coroutines"
set ylabel "resident bytes each (RssAnon delta / count)"
set logscale x 10
set logscale y 2
set xrange [500:20000000]
set xtics ("1 k" 1000, "10 k" 10000, "100 k" 100000, "1 M" 1000000, "10 M" 10000000)
set yrange [256:16384]
set key outside right top
lives = "64 256 1024 4096"
plot for [i=0:3] dir."/memory.dat" index i using 1:2 with linespoints lw 2 pt 7 lc i+1 \
       title "slp, ".word(lives, i+1)." B live", \
     for [i=0:3] dir."/memory.dat" index i using 1:3 with linespoints lw 1 dt 2 pt 4 lc i+1 \
       title "Boost fixedsize_stack, ".word(lives, i+1)." B live", \
     for [i=0:3] dir."/memory.dat" index i using 1:4 with lines lw 1 dt 3 lc i+1 \
       title "goal: slice + 256 B, ".word(lives, i+1)." B live"
