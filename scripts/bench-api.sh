#!/usr/bin/env bash
# Load benchmark of Hearth's authenticated list endpoints beside PocketBase,
# with an external load generator (wrk) over loopback.
#
# It builds Hearth and PocketBase (the peer, built outside the repository by
# scripts/pocketbase.sh), seeds both with comparable data — one user, a token,
# a list of 20 items — and runs wrk against each in turn, alternating the two
# servers, at each connection count, for a number of rounds:
#
#   sessions  GET /api/v1/sessions (20 sessions), Hearth on SQLite
#   clips     GET /api/v1/households/{id}/clips (20 clips), Hearth on SQLite
#             and on PostgreSQL (a fresh database, dropped at the end)
#
# against PocketBase's GET /api/collections/records/records (20 records, a list
# rule asking for a signed-in user). It prints every run, the ratio
# Hearth/PocketBase and PASS or FAIL against the targets, then a summary in
# Markdown (min–max over the rounds) for docs/performance.md.
#
#   scripts/bench-api.sh
#   BENCH_DURATION=5s BENCH_ROUNDS=1 BENCH_CASES="clips:sqlite" scripts/bench-api.sh
#
# Settings (environment):
#   BENCH_CASES     path:store pairs   (default "sessions:sqlite clips:sqlite clips:postgres")
#   BENCH_CONNS     connection counts  (default "2 50 500")
#   BENCH_ROUNDS    rounds per count   (default 3)
#   BENCH_DURATION  each measured run  (default 10s)
#   BENCH_WARMUP    unmeasured run of each server before each count (default 2s; 0 for none)
#   BENCH_THREADS   wrk threads        (default 2)
#   BENCH_TIMEOUT   wrk's timeout      (default 2s)
#   BENCH_POSTGRES  server for the PostgreSQL case, a database on it is
#                   created and dropped (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   BENCH_PB_QUERY  query of PocketBase's list (default perPage=20&sort=-created&skipTotal=1)
#   BENCH_KEEP=1    keep the temporary directory (servers' logs, wrk's output)
#
# Targets, checked per round on Hearth's run and the PocketBase run of the same
# round: at 50 and 500 connections Hearth serves at least twice PocketBase's
# requests/s; at 50 its p99 latency is at most 50 ms; at 500 it has no socket
# error, no timeout and no non-2xx response. At 2 connections nothing is
# checked (the figures show the latency of an idle server).
#
# Both servers share the machine's cores with wrk, and wrk sends a request
# only once the previous one on its connection is answered. wrk counts a
# timeout for each answer slower than BENCH_TIMEOUT and, every 2 s, for each
# request still waiting longer than that; such answers are left out of the
# percentiles, so a p99 near the timeout means the tail is longer still.
# Non-2xx counts answers with a status of 400 or more. Requests in flight
# when a run ends are abandoned by wrk: Hearth logs them as "context canceled".
set -euo pipefail

cases=${BENCH_CASES:-sessions:sqlite clips:sqlite clips:postgres}
conns_list=${BENCH_CONNS:-2 50 500}
rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-2s}
threads=${BENCH_THREADS:-2}
timeout=${BENCH_TIMEOUT:-2s}
postgres=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
pb_query=${BENCH_PB_QUERY:-perPage=20&sort=-created&skipTotal=1}
items=20 # sessions, clips and records in each list

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
	echo "bench-api: $*" >&2
	exit 1
}
say() { echo "== $*" >&2; }

# --- Checking the settings -------------------------------------------------

[[ $rounds =~ ^[1-9][0-9]?$ ]] || die "BENCH_ROUNDS=$rounds: use 1 to 99"
[[ $threads =~ ^[1-9][0-9]?$ ]] || die "BENCH_THREADS=$threads: use 1 to 99"
for d in "$duration" "$timeout"; do
	[[ $d =~ ^[1-9][0-9]*[smh]?$ ]] || die "duration $d: use wrk's form, like 10s"
done
[[ $warmup =~ ^(0|[1-9][0-9]*[smh]?)$ ]] || die "BENCH_WARMUP=$warmup: use 0 or wrk's form, like 2s"
for c in $conns_list; do
	[[ $c =~ ^[1-9][0-9]{0,4}$ ]] || die "BENCH_CONNS: $c is not a connection count"
	((c >= threads)) || die "BENCH_CONNS: $c connections for $threads threads; wrk needs at least one connection per thread"
done
need_postgres=0
for c in $cases; do
	case $c in
	sessions:sqlite | clips:sqlite) ;;
	clips:postgres) need_postgres=1 ;;
	*) die "BENCH_CASES: unknown case $c (use sessions:sqlite, clips:sqlite, clips:postgres)" ;;
	esac
done
[[ $pb_query =~ ^[A-Za-z0-9_=\&%,.+-]*$ ]] || die "BENCH_PB_QUERY=$pb_query: letters, digits and =&%,.+-_ only"
if ((need_postgres)); then
	[[ $postgres =~ ^postgres(ql)?://[^/?]+/[^/?]*(\?.*)?$ ]] || die "BENCH_POSTGRES: use postgres://user@host:port/database[?options]"
fi

# --- Tools -----------------------------------------------------------------

install_missing() {
	local missing=()
	command -v wrk >/dev/null || missing+=(wrk)
	command -v curl >/dev/null || missing+=(curl)
	command -v jq >/dev/null || missing+=(jq)
	((need_postgres)) && ! command -v psql >/dev/null && missing+=(postgresql-client)
	((${#missing[@]} == 0)) && return
	say "installing ${missing[*]}"
	local sudo=()
	((EUID == 0)) || sudo=(sudo)
	"${sudo[@]}" apt-get install -y "${missing[@]}" >&2 || die "could not install ${missing[*]}"
}
install_missing
command -v go >/dev/null || die "go is not installed"
command -v python3 >/dev/null || die "python3 is needed to find free ports"

# Each connection is a file descriptor in wrk and in the server.
want_files=4096
for c in $conns_list; do ((c * 2 + 256 > want_files)) && want_files=$((c * 2 + 256)); done
if (($(ulimit -n) < want_files)); then
	ulimit -n "$want_files" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	(($(ulimit -n) >= want_files)) || die "open files limit $(ulimit -n) is too low for the connection counts (want $want_files)"
fi

# --- Temporary directory, processes and cleanup -----------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-bench-api.XXXXXX")
pids=()
pg_admin="" pg_db=""

stop_server() { # pid
	kill -TERM "$1" 2>/dev/null || return 0
	wait "$1" 2>/dev/null || true
}

cleanup() {
	local status=$?
	for pid in "${pids[@]}"; do stop_server "$pid"; done
	if [[ -n $pg_db ]]; then
		psql -q -X "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 ||
			echo "bench-api: could not drop database $pg_db" >&2
	fi
	if [[ ${BENCH_KEEP:-} == 1 ]]; then
		echo "bench-api: kept $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for URL PID LOG: until URL answers 200, or the process dies, or 30 s pass.
wait_for() {
	local url=$1 pid=$2 log=$3
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || {
			cat "$log" >&2
			die "the server stopped while starting (log above)"
		}
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$log" >&2
	die "$url did not answer in 30 s"
}

# check_list NAME URL AUTH FILTER: the list answers 200 with $items items to
# AUTH, and refuses (or answers an empty list) without it. Prints the body's size.
check_list() {
	local name=$1 url=$2 auth=$3 filter=$4 body n code
	body=$work/$name.json
	code=$(curl -sS -o "$body" -w '%{http_code}' -H "Authorization: $auth" "$url")
	[[ $code == 200 ]] || die "$name: $url answered $code: $(head -c 300 "$body")"
	n=$(jq "$filter | length" "$body")
	[[ $n == "$items" ]] || die "$name: $url listed $n items, not $items"
	code=$(curl -sS -o "$work/$name.anon.json" -w '%{http_code}' "$url")
	if [[ $code == 200 ]]; then
		n=$(jq "$filter | length" "$work/$name.anon.json")
		[[ $n == 0 ]] || die "$name: $url lists $n items to anyone"
	fi
	wc -c <"$body"
}

# --- Building --------------------------------------------------------------

say "building Hearth and the seeder"
(cd "$repo" && go build -o "$work/hearth" ./cmd/hearth && go build -o "$work/benchseed" ./scripts/benchseed)
say "building PocketBase (outside the repository)"
pocketbase=$("$repo/scripts/pocketbase.sh")
[[ -x $pocketbase ]] || die "scripts/pocketbase.sh gave no binary ($pocketbase)"

# --- PocketBase ------------------------------------------------------------

# pb_serve: starts PocketBase on its data directory; sets pb_url and pb_pid.
pb_serve() {
	local port
	port=$(free_port)
	pb_url=http://127.0.0.1:$port
	# --dev=false: PocketBase turns its development mode (every SQL
	# statement and request printed) on by itself when its binary lies
	# under the temporary directory, as a `go run` build would.
	"$pocketbase" serve --dev=false --http "127.0.0.1:$port" --dir "$work/pocketbase" >>"$work/pocketbase.log" 2>&1 &
	pb_pid=$!
	pids+=("$pb_pid")
	wait_for "$pb_url/api/health" "$pb_pid" "$work/pocketbase.log"
}

# pb_seed: the superuser, the collection, the user and its token, the records.
pb_seed() {
	local dir=$work/pocketbase email=bench-admin@example.org password
	password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
	"$pocketbase" superuser upsert "$email" "$password" --dev=false --dir "$dir" >"$work/pocketbase-setup.log" 2>&1 ||
		die "PocketBase superuser: $(cat "$work/pocketbase-setup.log")"
	pb_serve
	local admin
	admin=$(pb_post /api/collections/_superusers/auth-with-password "" \
		"$(jq -n --arg e "$email" --arg p "$password" '{identity: $e, password: $p}')" | jq -r .token)
	pb_post /api/collections "$admin" "$(jq -n '{
		name: "records", type: "base",
		listRule: "@request.auth.id != \"\"", viewRule: "@request.auth.id != \"\"",
		fields: [
			{name: "title", type: "text", required: true},
			{name: "note", type: "text"},
			{name: "created", type: "autodate", onCreate: true, onUpdate: false}
		]}')" >/dev/null
	local user=bench@example.org user_password
	user_password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
	pb_post /api/collections/users/records "$admin" "$(jq -n --arg e "$user" --arg p "$user_password" \
		'{email: $e, password: $p, passwordConfirm: $p, verified: true}')" >/dev/null
	for i in $(seq "$items"); do
		pb_post /api/collections/records/records "$admin" "$(jq -n --arg i "$i" \
			'{title: ("Record " + $i), note: ("A note of about the length of a clip or session row, number " + $i + ".")}')" >/dev/null
	done
	pb_token=$(pb_post /api/collections/users/auth-with-password "" \
		"$(jq -n --arg e "$user" --arg p "$user_password" '{identity: $e, password: $p}')" | jq -r .token)
	[[ -n $pb_token && $pb_token != null ]] || die "PocketBase gave no user token"
	pb_bytes=$(check_list pocketbase "$pb_url/api/collections/records/records?$pb_query" "$pb_token" .items)
	# PocketBase takes the raw token in Authorization (no scheme).
	printf 'wrk.headers["Authorization"] = "%s"\n' "$pb_token" >"$work/pocketbase.lua"
}

# pb_post PATH TOKEN JSON: POST to PocketBase, failing on any error status.
pb_post() {
	local out code
	out=$work/pb-post.json
	local auth=()
	[[ -n $2 ]] && auth=(-H "Authorization: $2")
	code=$(curl -sS -o "$out" -w '%{http_code}' -X POST "${auth[@]}" -H 'Content-Type: application/json' \
		--data "$3" "$pb_url$1")
	[[ $code == 2?? ]] || die "PocketBase POST $1 answered $code: $(head -c 500 "$out")"
	cat "$out"
}

# --- Hearth ----------------------------------------------------------------

# hearth_seed STORE: seeds a data directory (and database) for STORE.
hearth_seed() {
	local store=$1 data=$work/hearth-$1 db=""
	if [[ $store == postgres ]]; then
		pg_admin=$postgres
		pg_db=hearth_bench_$(python3 -c 'import secrets; print(secrets.token_hex(4))')
		psql -q -X "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null || { pg_db="" && die "could not create a database on $postgres"; }
		local base=${postgres%%\?*}
		db=${base%/*}/$pg_db${postgres#"$base"}
	fi
	"$work/benchseed" --data "$data" ${db:+--db "$db"} --sessions "$items" --clips "$items" >"$work/seed-$store.env" ||
		die "seeding Hearth on $store failed"
	local key value
	while IFS='=' read -r key value; do
		[[ $key =~ ^HEARTH_[A-Z]+$ && $value =~ ^[A-Za-z0-9_-]+$ ]] || die "seeder printed an unexpected line: $key"
		printf -v "seed_${store}_${key#HEARTH_}" '%s' "$value"
	done <"$work/seed-$store.env"
	printf -v "db_$store" '%s' "$db"
}

# hearth_start STORE: serves the seeded data; sets hearth_url and hearth_pid.
hearth_start() {
	local store=$1 data=$work/hearth-$1 db_var=db_$1 port mqtt
	port=$(free_port)
	mqtt=$(free_port)
	hearth_url=http://127.0.0.1:$port
	local db=${!db_var}
	"$work/hearth" serve --data "$data" ${db:+--db "$db"} --http "127.0.0.1:$port" --mqtt "127.0.0.1:$mqtt" \
		--public-url "$hearth_url" >"$work/hearth-$store.log" 2>&1 &
	hearth_pid=$!
	pids+=("$hearth_pid")
	wait_for "$hearth_url/healthz" "$hearth_pid" "$work/hearth-$store.log"
}

# log_summary FILE: how many warnings and errors Hearth logged, and the most
# frequent, so that errors in the table can be told apart.
log_summary() {
	local n
	n=$(grep -c -E 'level=(WARN|ERROR)' "$1" || true)
	echo "# Hearth's log: $n warnings and errors"
	((n == 0)) && return
	# The start of each line says where, its end (the innermost cause) why.
	grep -E 'level=(WARN|ERROR)' "$1" | sed -E 's/^time=[^ ]+ //; s/ path=[^ ]+//' |
		awk '{ print (length($0) > 200) ? substr($0, 1, 90) " … " substr($0, length($0) - 100) : $0 }' |
		sort | uniq -c | sort -rn | head -4 | sed 's/^/#   /'
}

# stop PID: stops a server this script started.
stop() {
	stop_server "$1"
	local kept=() pid
	for pid in "${pids[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
	pids=("${kept[@]}")
}

# --- wrk -------------------------------------------------------------------

# to_ms VALUE: wrk's latency (like 812.00us, 1.20ms, 2.01s, 1.00m) in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
		if (f < 0) { print "nan"; exit }
		printf "%.2f", n * f }'
}

# parse_wrk FILE: "rps p50 p99 connect read write timeout non2xx" of one run.
parse_wrk() {
	local f=$1 rps p50 p99 sock non2xx
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
	p50=$(awk '$1 == "50%" {print $2}' "$f")
	p99=$(awk '$1 == "99%" {print $2}' "$f")
	sock=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4, $6, $8, $10}' "$f")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$f")
	[[ -n $rps && -n $p50 && -n $p99 ]] || die "could not read wrk's output $f: $(cat "$f")"
	echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${sock:-0 0 0 0} ${non2xx:-0}"
}

# run_wrk OUT LUA URL CONNS DURATION
run_wrk() {
	wrk -t"$threads" -c"$4" -d"$5" --timeout "$timeout" --latency -s "$2" "$3" >"$1" 2>&1 ||
		die "wrk failed: $(cat "$1")"
}

results=$work/results.tsv
: >"$results"

# verdict CONNS HEARTH_RPS PB_RPS P99 ERRORS TIMEOUTS: PASS, FAIL (why) or - (no target).
verdict() {
	awk -v c="$1" -v h="$2" -v p="$3" -v p99="$4" -v e="$5" -v t="$6" 'BEGIN {
		if (c != 50 && c != 500) { print "-"; exit }
		why = ""
		if (p > 0 && h < 2 * p) why = why sprintf(" ratio %.2f<2", h / p)
		if (p <= 0) why = why " no peer figure"
		if (c == 50 && (p99 == "nan" || p99 > 50)) why = why " p99 " p99 "ms>50"
		if (c == 500 && (e > 0 || t > 0)) why = why " errors " e " timeouts " t
		print (why == "" ? "PASS" : "FAIL(" substr(why, 2) ")") }'
}

row_format='%-30s %-8s %5s %5s %-10s %10s %8s %8s %-16s %8s %6s  %s\n'
print_header() {
	# shellcheck disable=SC2059 # the format is the table's
	printf "$row_format" path store conns round server req/s p50_ms p99_ms errs_c/r/w/non2xx timeouts ratio target
}

# measure_case CASE STORE PATHLABEL HEARTH_LIST HEARTH_LUA
measure_case() {
	local name=$1 store=$2 label=$3 hearth_list=$4 hearth_lua=$5 c r order server lua url out
	local -A fig
	for c in $conns_list; do
		if [[ $warmup != 0 ]]; then
			run_wrk "$work/warmup.txt" "$hearth_lua" "$hearth_list" "$c" "$warmup"
			run_wrk "$work/warmup.txt" "$work/pocketbase.lua" "$pb_list" "$c" "$warmup"
		fi
		for r in $(seq "$rounds"); do
			# Odd rounds start with Hearth, even ones with PocketBase, so that
			# neither always runs on the heels of the other.
			order="hearth pocketbase"
			((r % 2 == 0)) && order="pocketbase hearth"
			fig=()
			for server in $order; do
				if [[ $server == hearth ]]; then lua=$hearth_lua url=$hearth_list; else lua=$work/pocketbase.lua url=$pb_list; fi
				out=$work/wrk-$name-$store-$c-$r-$server.txt
				run_wrk "$out" "$lua" "$url" "$c" "$duration"
				fig[$server]=$(parse_wrk "$out")
				echo "$label	$store	$c	$r	$server	${fig[$server]}" >>"$results"
			done
			local h p hr pr ratio v
			read -ra h <<<"${fig[hearth]}"
			read -ra p <<<"${fig[pocketbase]}"
			ratio=$(awk -v a="${h[0]}" -v b="${p[0]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
			v=$(verdict "$c" "${h[0]}" "${p[0]}" "${h[2]}" $((h[3] + h[4] + h[5] + h[7])) "${h[6]}")
			for server in hearth pocketbase; do
				local f
				read -ra f <<<"${fig[$server]}"
				[[ $server == hearth ]] && hr=$ratio || hr=-
				[[ $server == hearth ]] && pr=$v || pr=
				# shellcheck disable=SC2059
				printf "$row_format" "$label" "$([[ $server == hearth ]] && echo "$store" || echo sqlite)" "$c" "$r" "$server" \
					"${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}/${f[4]}/${f[5]}/${f[7]}" "${f[6]}" "$hr" "$pr"
			done
		done
	done
}

# --- The run ---------------------------------------------------------------

started=$(date +%s)
say "seeding PocketBase"
pb_seed
stop "$pb_pid"
declare -A seeded=()
for c in $cases; do
	store=${c#*:}
	if [[ -z ${seeded[$store]:-} ]]; then
		say "seeding Hearth on $store"
		hearth_seed "$store"
		seeded[$store]=1
	fi
done

echo "# Hearth $(cd "$repo" && git describe --always --dirty 2>/dev/null || echo unknown) beside PocketBase ${PB_VERSION:-v0.39.5} ($pocketbase)"
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# wrk -t$threads --timeout $timeout --latency, ${duration} runs (${warmup} warm-up of each server before each count), $rounds rounds, servers alternating"
echo "# somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo '?'), open files $(ulimit -n)"
echo "# PocketBase: GET /api/collections/records/records?$pb_query, $items records, ${pb_bytes} bytes a response"
echo

print_header
for c in $cases; do
	name=${c%%:*} store=${c#*:}
	# Both servers start afresh for each case, on data seeded once.
	hearth_start "$store"
	pb_serve
	pb_list="$pb_url/api/collections/records/records?$pb_query"
	token_var=seed_${store}_TOKEN household_var=seed_${store}_HOUSEHOLD
	printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "${!token_var}" >"$work/hearth-$store.lua"
	case $name in
	sessions)
		label=/api/v1/sessions
		list=$hearth_url/api/v1/sessions
		bytes=$(check_list "hearth-$name-$store" "$list" "Bearer ${!token_var}" .sessions)
		;;
	clips)
		label="/api/v1/households/{id}/clips"
		list=$hearth_url/api/v1/households/${!household_var}/clips
		bytes=$(check_list "hearth-$name-$store" "$list" "Bearer ${!token_var}" .clips)
		;;
	esac
	echo "# Hearth on $store: GET $label, $items items, $bytes bytes a response"
	measure_case "$name" "$store" "$label" "$list" "$work/hearth-$store.lua"
	stop "$hearth_pid"
	stop "$pb_pid"
	log_summary "$work/hearth-$store.log"
done

echo
echo "# load $(cut -d' ' -f1-3 /proc/loadavg); took $(($(date +%s) - started)) s"
echo
echo "## Summary (min–max over $rounds rounds)"
echo
echo "| path | Hearth store | conns | Hearth req/s | PocketBase req/s | ratio | Hearth p50 ms | Hearth p99 ms | PocketBase p99 ms | Hearth errors / timeouts | PocketBase errors / timeouts | target met |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' '
	function span(a, b, fmt) { return (sprintf(fmt, a) == sprintf(fmt, b)) ? sprintf(fmt, a) : sprintf(fmt "–" fmt, a, b) }
	function upd(k, v) { if (!(k in lo) || v < lo[k]) lo[k] = v; if (!(k in hi) || v > hi[k]) hi[k] = v }
	{
		key = $1 SUBSEP $2 SUBSEP $3
		if (!(key in seen)) { seen[key] = 1; keys[++n] = key }
		split($6, f, " ")  # rps p50 p99 connect read write timeout non2xx
		s = $5; r = $4
		upd(key SUBSEP s SUBSEP "rps", f[1]); upd(key SUBSEP s SUBSEP "p50", f[2]); upd(key SUBSEP s SUBSEP "p99", f[3])
		err[key, s] += f[4] + f[5] + f[6] + f[8]; tmo[key, s] += f[7]
		rps[key, r, s] = f[1]; p99[key, r, s] = f[3]
		e[key, r, s] = f[4] + f[5] + f[6] + f[8]; t[key, r, s] = f[7]
		if (r > rounds[key]) rounds[key] = r
	}
	END {
		for (i = 1; i <= n; i++) {
			k = keys[i]; split(k, parts, SUBSEP); c = parts[3]
			rlo = ""; rhi = ""; pass = 0
			for (r = 1; r <= rounds[k]; r++) {
				q = (rps[k, r, "pocketbase"] > 0) ? rps[k, r, "hearth"] / rps[k, r, "pocketbase"] : 0
				if (rlo == "" || q < rlo) rlo = q; if (rhi == "" || q > rhi) rhi = q
				ok = (q >= 2)
				if (c == 50 && p99[k, r, "hearth"] > 50) ok = 0
				if (c == 500 && (e[k, r, "hearth"] > 0 || t[k, r, "hearth"] > 0)) ok = 0
				pass += ok
			}
			target = (c == 50 || c == 500) ? sprintf("%d/%d rounds", pass, rounds[k]) : "no target"
			printf "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %d / %d | %d / %d | %s |\n", parts[1], parts[2], c,
				span(lo[k, "hearth", "rps"], hi[k, "hearth", "rps"], "%.0f"),
				span(lo[k, "pocketbase", "rps"], hi[k, "pocketbase", "rps"], "%.0f"),
				span(rlo, rhi, "%.2f"),
				span(lo[k, "hearth", "p50"], hi[k, "hearth", "p50"], "%.2f"),
				span(lo[k, "hearth", "p99"], hi[k, "hearth", "p99"], "%.2f"),
				span(lo[k, "pocketbase", "p99"], hi[k, "pocketbase", "p99"], "%.2f"),
				err[k, "hearth"], tmo[k, "hearth"], err[k, "pocketbase"], tmo[k, "pocketbase"], target
		}
	}' "$results"
echo
echo "Targets: at 50 and 500 connections Hearth ≥ 2× PocketBase's requests/s; p99 ≤ 50 ms at 50;"
echo "no error or timeout at 500. Errors are socket errors (connect, read, write) and non-2xx responses."
