#!/usr/bin/env bash
# (sourced by /work/shared/bench/peers.sh through LIB_HOOK, once per scenario group; bench/run.ts sets it)
# Times rowback inside the peers' run with the same `measure` wrapper (/usr/bin/time around the whole
# client command, so maxrss is the node process), on the same dataset and servers.
# Env from bench/run.ts: BENCH_NODE (node 24), BENCH_DIR (this folder), BENCH_REPEAT.
# The scripts import 'rowback' without the rowback-source condition: the dist/ that bench/run.ts built.
RB="$BENCH_NODE $BENCH_DIR/lib"
OUT=$D/rowback-bench; mkdir -p "$OUT"
# lib_measure PEER SCENARIO 'command' ['rows command']: BENCH_REPEAT times; the script's stdout goes to
# $OUT/PEER.out (its last line is the row count it reports), then to peers.sh's log.
lib_measure() {
  local peer=$1 sc=$2 cmd=$3 rows=${4:-"tail -1 '$OUT/$1.out'"} i
  for ((i = 1; i <= ${BENCH_REPEAT:-1}; i++)); do
    [[ -n "${BEFORE_EACH:-}" ]] && eval "$BEFORE_EACH"
    measure "$peer" "$sc" "$cmd > '$OUT/$peer.out'" "$rows"
    cat "$OUT/$peer.out" >> "$LOG"
  done
}

case "$HOOK_SCENARIO" in
  S1)
    BEFORE_EACH='fresh s1lib'
    lib_measure lib-extract S1 "$RB/s1-extract.ts --file '$F' --schema s1lib" "$(count2 s1lib)"
    lib_measure lib-extract-gz S1 "$RB/s1-extract.ts --file '$F.gz' --schema s1lib" "$(count2 s1lib)"
    lib_measure lib-extract-filtered S1 "$RB/s1-extract.ts --file '$F' --schema s1lib --scope-file '$D/scope_ids'" "$(count2 s1lib)"
    BEFORE_EACH=''
    log "setup (untimed): MySQL Shell dump of wp_users + wp_usermeta -> $D/shell-dump-two-tables"
    $RB/make-shell-dump.ts --source "$SRC" --dir "$D/shell-dump-two-tables" >> "$LOG" 2>&1
    BEFORE_EACH='fresh s1lib'
    lib_measure lib-extract-shell S1 "$RB/s1-extract-shell.ts --dir '$D/shell-dump-two-tables' --schema s1lib" "$(count2 s1lib)"
    BEFORE_EACH=''
    q "DROP DATABASE IF EXISTS s1lib" ;;
  S2)
    q "DROP DATABASE IF EXISTS rb_bench_s2; DROP DATABASE IF EXISTS rb_bench_s2run; DROP DATABASE IF EXISTS rb_bench_ledger"
    BEFORE_EACH='damage'
    lib_measure lib-apply-replace S2 "$RB/s2-apply.ts --strategy replace --k $K"
    log "after lib-apply-replace: wp_users $(same wp_users), wp_usermeta $(same wp_usermeta)"
    lib_measure lib-apply-allowlist S2 "$RB/s2-apply.ts --strategy allowlist --k $K"
    log "after lib-apply-allowlist: wp_users $(same wp_users) (usermeta keeps its extra/missing rows: $(same wp_usermeta))"
    lib_measure lib-apply-replace-run S2 "$RB/s2-apply-run.ts --strategy replace"
    log "after lib-apply-replace-run: wp_users $(same wp_users), wp_usermeta $(same wp_usermeta)"
    lib_measure lib-apply-allowlist-run S2 "$RB/s2-apply-run.ts --strategy allowlist"
    log "after lib-apply-allowlist-run: wp_users $(same wp_users)"
    BEFORE_EACH=''
    q "DROP DATABASE IF EXISTS rb_bench_s2; DROP DATABASE IF EXISTS rb_bench_s2run; DROP DATABASE IF EXISTS rb_bench_ledger" ;;
  S3)
    BEFORE_EACH='freshb s3lib'
    lib_measure lib-copy S3 "$RB/s3-copy.ts --schema $SRC --target s3lib --scope-file '$D/scope_ids'" "$(count2b s3lib)"
    BEFORE_EACH=''
    qb "DROP DATABASE IF EXISTS s3lib" ;;
  S4)
    lib_measure lib-diff S4 "$RB/s4-diff.ts"
    lib_measure lib-diff-counts S4 "$RB/s4-diff.ts --counts" ;;
esac
