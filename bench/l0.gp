# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# L0 curve: net ns/packet (production program - empty program) vs rules.
# gnuplot -e "datafile='l0.dat'; outfile='l0.svg'" bench/l0.gp
set terminal svg size 800,500 dynamic font "sans,12"
set output outfile
set title "flowtag L0: program cost vs policy size (bpf\\_prog\\_test\\_run, median)"
set xlabel "rules in the policy"
set ylabel "ns/packet, flowtag - empty program"
set logscale x 10
set xrange [0.7:6000]
set yrange [0:*]
set grid
set key top left
# index 0: the rule sweep; index 1: 101 rules + a 100k-prefix set
plot datafile index 0 using 1:3 with linespoints lw 2 title "XDP, flow cache miss", \
     datafile index 0 using 1:2 with linespoints lw 2 title "XDP, flow cache hit", \
     datafile index 0 using 1:5 with linespoints lw 2 dt 2 title "tc fallback, cache miss", \
     datafile index 0 using 1:4 with linespoints lw 2 dt 2 title "tc fallback, cache hit", \
     datafile index 1 using 1:3 with points pt 7 ps 1.5 title "XDP miss, + 100k-prefix set", \
     datafile index 1 using 1:2 with points pt 5 ps 1.5 title "XDP hit, + 100k-prefix set"
