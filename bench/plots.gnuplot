# slp's switch plots, drawn by bench/report.py --plots DIR:
#   gnuplot -e "slicefile='DIR/switch_vs_slice.dat'; rtfile='DIR/round_trip.dat'; \
#               outdir='DIR'; note=''" bench/plots.gnuplot
# switch_vs_slice.dat: live_bytes slice_bytes slp_ns fcontext_ns raw_ns target_ns floor_ns
#                      (NaN: missing, or no target at that size)
# round_trip.dat:      "mechanism" ns_per_round_trip

if (!exists("note")) note = ""

set terminal pngcairo size 900,560 font "sans,10" noenhanced
set grid
set key top left box opaque

# --- one-way switch latency against the slice each context keeps -------------
set output outdir."/switch_vs_slice.png"
set title "One-way switch latency against slice size".(note ne "" ? "\n".note : "")
set xlabel "slice per context (bytes, read back from stack_bytes())"
set ylabel "ns per one-way switch (median)"
set logscale x 2
set format x "%.0f"
set yrange [0:*]
plot slicefile using 2:3 with linespoints lw 2 pt 7 title "slp, stack slicing (2 contexts, 1 stack)", \
     slicefile using 2:4 with lines lw 2 dt 2 title "Boost jump_fcontext (separate stacks, no copy)", \
     slicefile using 2:5 with lines lw 2 dt 3 title "slp, resident (2 stacks, no copy)", \
     slicefile using 2:7 with linespoints lw 1 dt 4 pt 2 title "floor: resident switch + memcpy out and in", \
     slicefile using 2:6 with points pt 6 ps 2 lw 2 title "target (256 B, 1 KiB, 4 KiB live)"

# --- round trip per mechanism ------------------------------------------------------
set output outdir."/round_trip.png"
set title "Round trip (2 one-way switches), log scale".(note ne "" ? "\n".note : "")
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
plot rtfile using 0:2:xtic(1) with boxes, \
     rtfile using 0:2:(sprintf("%.1f", $2)) with labels offset 0,0.8
