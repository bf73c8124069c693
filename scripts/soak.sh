#!/usr/bin/env bash
# Soak benchmark for memory: runs `hearth serve --demo` under a steady load
# of what its members do (pages and API reads while the virtual doorbell and
# cameras report events and upload clips), beside an idle `hearth serve` and
# an idle PocketBase started in the same run, and reports every minute the
# resident memory of each (VmRSS from /proc) and the demo's Go heap (from its
# /metrics). Ends with a table and PASS/FAIL against the targets:
#
#   idle `hearth serve`      at most 100 MB resident at every sample
#   the running demo         at most 150 MB resident at every sample after
#                            its first minute (the peak while it seeds, once,
#                            is printed but not judged)
#   no growth                the median RSS of the last window is at most
#                            SOAK_GROWTH_PCT (5) % above the median of the
#                            first window after the warm-up (see below)
#
# Warm-up and windows: the first W = min(5, minutes/4) minutes are warm-up
# (the heap and SQLite's page cache fill, the demo's first clips arrive);
# each window is K = min(10, (minutes - W)/2) samples. A median of K
# one-a-minute samples ignores where in its collection cycle the heap
# happened to be; 5 % of a demo's ~75 MB is ~4 MB, above the spread of
# those medians on a steady run and below any leak worth fixing.
#
#   scripts/soak.sh                      # 60 minutes
#   SOAK_MINUTES=10 scripts/soak.sh      # a quick check
#   SOAK_HEARTH_ENV='GOMEMLIMIT=100MiB' scripts/soak.sh   # environment for Hearth only
#
# Other settings: SOAK_PAUSE (seconds between rounds of reads, default 1),
# SOAK_KEEP=1 keeps the working directory (logs, data) for a look after.
# Needs Linux (/proc), curl, and Go to build Hearth and PocketBase.
set -euo pipefail

# The whole script is one block, read before any of it runs: editing the
# file during a run of an hour cannot change what the run does.
{

minutes=${SOAK_MINUTES:-60}
pause=${SOAK_PAUSE:-1}
growth_pct=${SOAK_GROWTH_PCT:-5}
idle_limit_mb=100
demo_limit_mb=150
read -r -a hearth_env <<<"${SOAK_HEARTH_ENV:-}"

if ! [[ $minutes =~ ^[1-9][0-9]*$ ]]; then
	echo "SOAK_MINUTES must be a whole number of minutes, at least 1" >&2
	exit 2
fi
if ! [[ $pause =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
	echo "SOAK_PAUSE must be a number of seconds" >&2
	exit 2
fi
for v in "${hearth_env[@]}"; do
	if ! [[ $v =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
		echo "SOAK_HEARTH_ENV holds NAME=value words; got '$v'" >&2
		exit 2
	fi
done

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-soak.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ ${SOAK_KEEP:-} == 1 ]]; then
		echo "kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building hearth and PocketBase…" >&2
(cd "$root" && go build -o "$work/hearth" ./cmd/hearth)
pocketbase=$("$root/scripts/pocketbase.sh")

# free_port prints a port nothing listens on (PocketBase takes no port 0).
free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
		return
	fi
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	return 1
}

# wait_for FILE TEXT: until a server has printed TEXT (at most a minute).
wait_for() {
	for _ in $(seq 600); do
		if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "gave up waiting for '$2' in $1" >&2
	tail -20 "${1%.out}.err" >&2 || true
	exit 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# Hearth with the demo, and Hearth idle, each on free ports (port 0).
env "${hearth_env[@]}" "$work/hearth" serve --demo --data "$work/demo" --http 127.0.0.1:0 --mqtt 127.0.0.1:0 \
	>"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
pids+=("$demo_pid")
env "${hearth_env[@]}" "$work/hearth" serve --data "$work/idle" --http 127.0.0.1:0 --mqtt 127.0.0.1:0 \
	>"$work/idle.out" 2>"$work/idle.err" &
idle_pid=$!
pids+=("$idle_pid")
pb_port=$(free_port)
"$pocketbase" serve --http "127.0.0.1:$pb_port" --dir "$work/pocketbase" >"$work/pocketbase.out" 2>&1 &
pb_pid=$!
pids+=("$pb_pid")

wait_for "$work/demo.out" "Hearth is running at"
wait_for "$work/idle.out" "Hearth is running at"
url=$(sed -n 's/^Hearth is running at \(http[^ ]*\) .*/\1/p' "$work/demo.out")
household=$(sed -n 's/.*"household": *"\([^"]*\)".*/\1/p' "$work/demo/demo.json")
email=ana@demo.example
password=$(awk -v e="$email" '$1 == e && $2 == "password" {print $3; exit}' "$work/demo.out")
if [[ -z $url || -z $household || -z $password ]]; then
	echo "could not read the demo's address, household or credentials" >&2
	exit 1
fi
demo_peak_kb=$(hwm_kb "$demo_pid")

# Sign in as a member would, and make an API token on the account page.
jar=$work/cookies
csrf() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1; }
sign_in() {
	local token
	token=$(curl -fsS -c "$jar" -b "$jar" "$url/login" | csrf)
	curl -fsS -c "$jar" -b "$jar" -o /dev/null --data-urlencode "email=$email" \
		--data-urlencode "password=$password" --data-urlencode "csrf_token=$token" "$url/login"
}
sign_in
api_token=$(curl -fsS -c "$jar" -b "$jar" --data-urlencode "csrf_token=$(curl -fsS -b "$jar" "$url/account" | csrf)" \
	--data-urlencode name=soak --data-urlencode scope=account:read "$url/account/tokens" |
	sed -n 's/.*id="api-token">\([^<]*\)<.*/\1/p')
if [[ -z $api_token ]]; then
	echo "could not make an API token" >&2
	exit 1
fi

# The load: rounds of reads, each over one connection for the API (bearer
# token) and one for the pages (session cookie), plus one clip download.
codes=$work/codes
: >"$codes"
drive() {
	local clip="" round=0
	local api=(/api/v1/me "/api/v1/households/$household/clips?limit=50" /api/v1/access
		"/api/v1/feed?household=$household" "/api/v1/households/$household/requests"
		"/api/v1/households/$household/devices" /api/v1/agencies)
	local pages=(/account /households "/households/$household" "/households/$household/timeline" /access /feed /transparency)
	while :; do
		if ((round % 60 == 0)); then
			clip=$(curl -sS -H "Authorization: Bearer $api_token" "$url/api/v1/households/$household/clips?limit=1" |
				grep -o '"id": *"c_[^"]*"' | head -1 | sed 's/.*"\(c_[^"]*\)"/\1/') || true
		fi
		local args=()
		for p in "${api[@]}"; do args+=(-o /dev/null "$url$p"); done
		if [[ -n $clip ]]; then args+=(-o /dev/null "$url/api/v1/clips/$clip/content"); fi
		curl -sS -w '%{http_code} %{url_effective}\n' -H "Authorization: Bearer $api_token" "${args[@]}" >>"$codes" 2>/dev/null ||
			echo "000 API round failed" >>"$codes"
		args=()
		for p in "${pages[@]}"; do args+=(-o /dev/null "$url$p"); done
		curl -sS -w '%{http_code} %{url_effective}\n' -b "$jar" "${args[@]}" >>"$codes" 2>/dev/null || echo "000 pages round failed" >>"$codes"
		round=$((round + 1))
		sleep "$pause"
	done
}
drive &
pids+=("$!")

metric() { awk -v n="$1" '$1 == n {printf "%.0f", $2}' "$work/metrics"; }

printf '\nHearth demo at %s (pid %d), idle Hearth (pid %d), PocketBase %s (pid %d); %d minutes\n\n' \
	"$url" "$demo_pid" "$idle_pid" "$(basename "$(dirname "$(dirname "$pocketbase")")" | sed 's/.*-//')" "$pb_pid" "$minutes"
printf '%6s %12s %13s %13s %10s %9s %7s %12s %14s\n' minute demo_rss_MB heap_inuse_MB live_heap_MB goroutines requests errors idle_rss_MB pocketbase_MB
samples=$work/samples
: >"$samples"
start=$SECONDS
counted=0
for minute in $(seq 1 "$minutes"); do
	wait_s=$((start + minute * 60 - SECONDS))
	((wait_s <= 0)) || sleep "$wait_s"
	for p in "$demo_pid" "$idle_pid" "$pb_pid"; do
		if ! kill -0 "$p" 2>/dev/null; then
			echo "process $p stopped; see $work (SOAK_KEEP=1 keeps it)" >&2
			exit 1
		fi
	done
	curl -fsS "$url/metrics" >"$work/metrics" || : >"$work/metrics"
	heap=$(metric go_memstats_heap_inuse_bytes)
	# The heap goal is twice the heap found live at the last collection
	# (GOGC 100, no limit): a steadier leak signal than the heap in use.
	live=$(awk -v g="$(metric go_memstats_next_gc_bytes)" -v p="$(metric go_gc_gogc_percent)" \
		'BEGIN {if (p <= 0) p = 100; printf "%.0f", g / (1 + p / 100)}')
	total=$(wc -l <"$codes")
	errors=$(grep -cv '^2' "$codes" || true)
	demo_kb=$(rss_kb "$demo_pid") idle_kb=$(rss_kb "$idle_pid") pb_kb=$(rss_kb "$pb_pid")
	printf '%6d %12s %13s %13s %10s %9d %7d %12s %14s\n' "$minute" "$(mb "$demo_kb")" "$(mb $((${heap:-0} / 1024)))" \
		"$(mb $((${live:-0} / 1024)))" "$(metric go_goroutines)" $((total - counted)) "$errors" "$(mb "$idle_kb")" "$(mb "$pb_kb")"
	echo "$minute $demo_kb $idle_kb $pb_kb ${live:-0}" >>"$samples"
	counted=$total
done

# The verdict.
warmup=$((minutes / 4 < 5 ? minutes / 4 : 5))
window=$(((minutes - warmup) / 2 < 10 ? (minutes - warmup) / 2 : 10))
((window >= 1)) || window=1
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f\n", m}'; }
first=$(awk -v a="$warmup" -v k="$window" '$1 > a && $1 <= a + k {print $2}' "$samples" | median)
last=$(tail -n "$window" "$samples" | awk '{print $2}' | median)
first_live=$(awk -v a="$warmup" -v k="$window" '$1 > a && $1 <= a + k {print $5}' "$samples" | median)
last_live=$(tail -n "$window" "$samples" | awk '{print $5}' | median)
idle_max=$(awk 'm < $3 {m = $3} END {print m}' "$samples")
demo_max=$(awk '$1 > 1 && m < $2 {m = $2} END {print m + 0}' "$samples")
((minutes > 1)) || demo_max=$(awk '{print $2}' "$samples")
pb_median=$(awk '{print $4}' "$samples" | median)
growth=$(awk -v a="$first" -v b="$last" 'BEGIN {printf "%.1f", (b - a) * 100 / a}')
live_growth=$(awk -v a="$first_live" -v b="$last_live" 'BEGIN {if (a > 0) printf "%.1f", (b - a) * 100 / a; else print "n/a"}')
total=$(wc -l <"$codes")
errors=$(grep -cv '^2' "$codes" || true)

verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo FAIL; fi; }
idle_ok=$(verdict "$idle_max <= $idle_limit_mb * 1024")
demo_ok=$(verdict "$demo_max <= $demo_limit_mb * 1024")
growth_ok=$(verdict "$last <= $first * (1 + $growth_pct / 100)")
errors_ok=$(verdict "$errors == 0")

printf '\n%-56s %s\n' "demo peak while seeding (VmHWM at start)" "$(mb "$demo_peak_kb") MB"
printf '%-56s %s\n' "demo peak over the run (VmHWM)" "$(mb "$(hwm_kb "$demo_pid")") MB"
printf '%-56s %s\n' "PocketBase idle RSS (median)" "$(mb "$pb_median") MB"
printf '%-56s %-28s %s\n' "idle hearth serve RSS, max <= $idle_limit_mb MB" "$(mb "$idle_max") MB" "$idle_ok"
printf '%-56s %-28s %s\n' "demo RSS after minute 1, max <= $demo_limit_mb MB" "$(mb "$demo_max") MB" "$demo_ok"
printf '%-56s %-28s %s\n' "demo RSS growth <= $growth_pct % (warm-up $warmup, windows of $window)" \
	"$(mb "$first") → $(mb "$last") MB ($growth %)" "$growth_ok"
printf '%-56s %-28s %s\n' "demo live heap (informative)" "$(mb $((first_live / 1024))) → $(mb $((last_live / 1024))) MB ($live_growth %)" ""
printf '%-56s %-28s %s\n' "requests answered without error" "$((total - errors)) of $total" "$errors_ok"
if ((errors > 0)); then
	echo "failed requests (status, address; the first few kinds):"
	grep -v '^2' "$codes" | sed 's/[ch]_[a-z0-9]*/…/g' | sort | uniq -c | sort -rn | head -5
fi
if [[ "$idle_ok $demo_ok $growth_ok $errors_ok" == *FAIL* ]]; then
	echo FAIL
	exit 1
fi
echo PASS
exit 0
}
