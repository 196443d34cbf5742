#!/usr/bin/env bash
# Run every cargo-fuzz target for SECONDS each (default 60) and print, per target, the
# executions and the crashes of this run. Usage: scripts/fuzz.sh [SECONDS] [TARGET…]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Each target starts
# from its committed seeds (fuzz/seeds/TARGET) and grows its own corpus (fuzz/corpus/TARGET,
# not committed); a crash is written to fuzz/artifacts/TARGET, and libFuzzer prints how to
# reproduce it (`cargo +nightly fuzz run TARGET ARTIFACT`). The fuzzing itself runs at the
# lowest priority: it takes a whole core for SECONDS per target. Exits 1 if anything crashed.
# FUZZ_RUNS=N stops each target after N executions instead (SECONDS is then only the bound).
set -euo pipefail

secs=${1:-60}
shift || true
case $secs in
'' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../fuzz"
all=(config settings shell helper_line cache)
targets=("${@:-${all[@]}}")

for t in "${targets[@]}"; do
	nice -n 10 cargo +nightly fuzz build "$t"
done

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=0
results=()
for t in "${targets[@]}"; do
	mkdir -p "corpus/$t" "artifacts/$t"
	before=$(find "artifacts/$t" -type f | wc -l)
	# libFuzzer adds new inputs to its first corpus directory: the seeds are copied into the
	# corpus, so the committed seed directory stays as it is.
	[[ -d "seeds/$t" ]] && cp -n "seeds/$t"/* "corpus/$t"/
	extra=()
	[[ -f "dicts/$t.dict" ]] && extra+=("-dict=dicts/$t.dict")
	[[ -n ${FUZZ_RUNS:-} ]] && extra+=("-runs=$FUZZ_RUNS")
	echo "== $t: ${secs}s" >&2
	status=0
	nice -n 19 cargo +nightly fuzz run "$t" "corpus/$t" -- \
		-max_total_time="$secs" -timeout=10 -print_final_stats=1 "${extra[@]}" \
		>"$logs/$t.log" 2>&1 || status=$?
	# libFuzzer's final statistics (printed on a crash too); `#N DONE` if they are missing.
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -n 1)
	[[ -n $execs ]] || execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$logs/$t.log" | tail -n 1)
	crashes=$(($(find "artifacts/$t" -type f | wc -l) - before))
	if ((status != 0 || crashes > 0)); then
		failed=1
		((crashes > 0)) || crashes="? (exit $status)"
		echo "-- $t failed; the end of its log:" >&2
		tail -n 40 "$logs/$t.log" >&2
	fi
	results+=("$(printf '%-12s %12s %s' "$t" "${execs:-?}" "$crashes")")
done

printf '%-12s %12s %s\n' target executions crashes
printf '%s\n' "${results[@]}"
exit "$failed"
