#!/bin/sh
# m3.sh - accuracy and speed of kpi-forecast on the M3 competition data
# (3,003 series, the official train/test split), scored by the tool's own
# --backtest, optionally side by side with R's forecast package.
#
# Usage: bench/m3.sh [-b BUILDDIR] [-m METHODS] [-f FREQS] [-j N]
#                    [--validate] [--with-r] [--r-methods LIST] [M3DIR]
#   -b BUILDDIR    where kpi-forecast is built (default: build)
#   -m METHODS     comma-separated kpi-forecast methods (default naive,snaive,auto)
#   -f FREQS       yearly,quarterly,monthly,other (default: all four)
#   -j N           threads for kpi-forecast and cores for R (default 2)
#   --validate     the validation split: hold out the last horizon of each
#                  training series and score on it; the test set is not
#                  read (choose rules here, report the test figures)
#   --with-r       also run R's ets(), thetaf() and auto.arima() on the same
#                  series; slow: R's ets() alone needs about 13 CPU minutes
#                  for the monthly series
#   --r-methods L  the R methods, from ets, theta, arima, naive, snaive
#                  (implies --with-r)
#   M3DIR          the data (default: ../shared/data/m3 from the repository)
# Prints per method and frequency: series, points, sMAPE, MASE, 95% coverage,
# MSIS (95%), wall and CPU seconds; and the overall row, averaged over all
# series x horizons as in the M3 paper.  Results: bench/results/m3/.
# Exit status 0; 77 when the data or the tool is missing; 1 when a run fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=build
methods=naive,snaive,auto
freqs=yearly,quarterly,monthly,other
jobs=2
with_r=
validate=
r_methods=ets,theta,arima
m3dir=
while [ $# -gt 0 ]; do
	case $1 in
	-b) build=$2; shift 2 ;;
	-m) methods=$2; shift 2 ;;
	-f) freqs=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	--validate) validate=1; shift ;;
	--with-r) with_r=1; shift ;;
	--r-methods) with_r=1; r_methods=$2; shift 2 ;;
	-h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "m3.sh: unknown option $1" >&2; exit 2 ;;
	*) m3dir=$1; shift ;;
	esac
done
[ -n "$m3dir" ] || m3dir=$repo/../shared/data/m3
case $build in /*) ;; *) build=$repo/$build ;; esac
tool=$build/kpi-forecast
if [ ! -f "$m3dir/m3_meta.csv" ]; then
	echo "m3.sh: no M3 data in $m3dir; skipping" >&2
	exit 77
fi
if [ ! -x "$tool" ]; then
	echo "m3.sh: $tool is not built; run: meson setup build && ninja -C build" >&2
	exit 77
fi
out=$repo/bench/results/m3
mkdir -p "$out" || exit 1
LC_ALL=C
export LC_ALL

season() { case $1 in quarterly) echo 4 ;; monthly) echo 12 ;; *) echo 1 ;; esac; }
horizon() { case $1 in yearly) echo 6 ;; monthly) echo 18 ;; *) echo 8 ;; esac; }

# One file per frequency with the training and test periods together, in
# series and period order (the tool holds out the last horizon); with
# --validate the training periods alone (FREQ-validate.csv).
split=
[ -n "$validate" ] && split=-validate
for f in $(echo "$freqs" | tr , ' '); do
	[ -f "$m3dir/m3_${f}_train.csv" ] || { echo "m3.sh: no $f data" >&2; exit 77; }
	all=$out/$f$split.csv
	if [ ! -s "$all" ] || [ "$m3dir/m3_${f}_train.csv" -nt "$all" ]; then
		{
			echo "series,period,value"
			tail -n +2 "$m3dir/m3_${f}_train.csv"
			[ -n "$validate" ] || tail -n +2 "$m3dir/m3_${f}_test.csv"
		} | awk 'NR == 1 { print; next } { print | "sort -t, -k1,1 -k2,2n" }' \
			>"$all.tmp" && mv "$all.tmp" "$all"
	fi
done

# Score rows go to $out/summary.csv:
# who,method,frequency,series,points,smape,mase,coverage95,msis95,wall,cpu
summary=$out/summary.csv
echo "who,method,frequency,series,points,smape,mase,coverage95,msis95,wall,cpu" >"$summary"

now() { date +%s.%N; }
status=0
for meth in $(echo "$methods" | tr , ' '); do
	for f in $(echo "$freqs" | tr , ' '); do
		res=$out/kpi-$meth-$f$split.csv
		t0=$(now)
		if [ -x /usr/bin/time ]; then
			/usr/bin/time -f '%U %S' -o "$out/time.txt" \
				"$tool" -k series -t period -v value --season "$(season $f)" \
				-H "$(horizon $f)" -m "$meth" --backtest --level 95 \
				--grouped -j "$jobs" "$out/$f$split.csv" >"$res" 2>"$out/kpi-$meth-$f$split.err"
			rc=$?
		else
			"$tool" -k series -t period -v value --season "$(season $f)" \
				-H "$(horizon $f)" -m "$meth" --backtest --level 95 \
				--grouped -j "$jobs" "$out/$f$split.csv" >"$res" 2>"$out/kpi-$meth-$f$split.err"
			rc=$?
			echo "NA NA" >"$out/time.txt"
		fi
		t1=$(now)
		if [ "$rc" != 0 ]; then
			echo "m3.sh: kpi-forecast -m $meth failed on $f:" >&2
			head -3 "$out/kpi-$meth-$f$split.err" >&2
			status=1
			continue
		fi
		# The overall row is the last one, with an empty key.
		awk -F, -v meth="$meth" -v f="$f" -v t0="$t0" -v t1="$t1" \
		    -v cpu="$(awk '{ print ($1 == "NA") ? "NA" : $1 + $2 }' "$out/time.txt")" '
			NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			{ last = $0 }
			END {
				n = split(last, v, ",")
				printf "kpi,%s,%s,%s,%s,%s,%s,%s,%s,%.2f,%s\n", meth, f,
				       v[col["nseries"]], v[col["npoints"]], v[col["smape"]],
				       v[col["mase"]], v[col["coverage95"]], v[col["msis95"]],
				       t1 - t0, cpu
			}' "$res" >>"$summary"
	done
done

if [ -n "$with_r" ] && [ -n "$validate" ]; then
	echo "m3.sh: --with-r is not run on the validation split" >&2
elif [ -n "$with_r" ]; then
	if ! Rscript -e 'suppressMessages(library(forecast))' >/dev/null 2>&1; then
		echo "m3.sh: --with-r: R with the forecast package is not installed; skipping R" >&2
	else
		Rscript "$here/m3.R" "$m3dir" "$freqs" "$r_methods" "$jobs" \
			>>"$summary" 2>"$out/r.err" || {
			echo "m3.sh: the R run failed:" >&2
			tail -5 "$out/r.err" >&2
			status=1
		}
	fi
fi

# The table: per method and frequency, then over all frequencies (points
# weighted: series x horizons, as the M3 paper averages).
awk -F, '
	NR == 1 { next }
	{
		key = $1 " " $2
		if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
		row[key, $3] = $0
		pts[key] += $5; s[key] += $5 * $6; ms[key] += $5 * $7
		cv[key] += $5 * $8; mi[key] += $5 * $9; ser[key] += $4
		wall[key] += $10; cpu[key] += $11
		if ($11 == "NA") cpuna[key] = 1
		nf[key]++
	}
	END {
		printf "%-6s %-8s %-9s %6s %6s %7s %6s %7s %7s %8s %8s\n", "who", "method",
		       "frequency", "series", "points", "sMAPE", "MASE", "cov95",
		       "MSIS95", "wall s", "cpu s"
		for (k = 1; k <= nk; k++) {
			key = order[k]
			split("yearly quarterly monthly other", fr, " ")
			for (i = 1; i <= 4; i++) {
				if (!((key, fr[i]) in row)) continue
				split(row[key, fr[i]], v, ",")
				printf "%-6s %-8s %-9s %6d %6d %7.2f %6.3f %7.1f %7.2f %8.1f %8s\n",
				       v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
				       v[10], v[11] == "NA" ? "NA" : sprintf("%.1f", v[11])
			}
			if (nf[key] > 1) {
				split(key, kk, " ")
				printf "%-6s %-8s %-9s %6d %6d %7.2f %6.3f %7.1f %7.2f %8.1f %8s\n",
				       kk[1], kk[2], "all", ser[key], pts[key], s[key] / pts[key],
				       ms[key] / pts[key], cv[key] / pts[key], mi[key] / pts[key],
				       wall[key], cpuna[key] ? "NA" : sprintf("%.1f", cpu[key])
			}
		}
	}' "$summary" | tee "$out/summary.txt"
if [ -n "$validate" ]; then
	echo
	echo "Validation split: each training series without its last horizon, scored on it."
	exit $status
fi
cat <<'EOF'

Anchors (sMAPE; M3 data README and issue 4): R 4.2.2, forecast 8.20:
  snaive  Y 17.88  Q 11.06  M 17.23  O 6.30
  ets     Y 17.00  Q  9.68  M 14.14  O 4.37
  thetaf  Y 16.76  Q  9.20  M 13.86  O 4.92
  arima   Y 17.10  Q 10.01  M 14.97  O 4.51
  mean of the three (published)  Y 16.03  Q 9.01  M 13.52  O 4.32
  M3 THETA 13.01 overall; targets: -m auto <= 12.6 overall, cov95 >= 93.
EOF
exit $status
