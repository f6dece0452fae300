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

# ref_sql replace|allowlist: the kit's S2 SQL (peers.sh) preceded by a before-image copy in one transaction.
ref_sql() {
  local meta_keys="('first_name','last_name','nickname')"
  echo "CREATE DATABASE IF NOT EXISTS s2_ref; DROP TABLE IF EXISTS s2_ref.users_before, s2_ref.meta_before;"
  echo "CREATE TABLE s2_ref.users_before LIKE s2_l.wp_users; CREATE TABLE s2_ref.meta_before LIKE s2_l.wp_usermeta;"
  echo "START TRANSACTION;"
  echo "INSERT INTO s2_ref.users_before SELECT u.* FROM s2_l.wp_users u JOIN s2_scope.scope s ON s.id = u.ID FOR UPDATE;"
  if [[ $1 == replace ]]; then
    echo "INSERT INTO s2_ref.meta_before SELECT m.* FROM s2_l.wp_usermeta m JOIN s2_scope.scope s ON s.id = m.user_id FOR UPDATE;"
    grep -v -E '^(START TRANSACTION|COMMIT)' "$D/s2-blanket.sql"
  else
    echo "INSERT INTO s2_ref.meta_before SELECT m.* FROM s2_l.wp_usermeta m JOIN s2_scope.scope s ON s.id = m.user_id WHERE m.meta_key IN $meta_keys FOR UPDATE;"
    cat "$D/s2-allowlist.sql" "$D/s2-allowlist-meta.sql"
  fi
  echo "COMMIT;"
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
    # Context, not a target: the peers' SQL plus what rowback adds for safety, written by hand — a copy
    # of the scoped live rows (the rows the peer SQL may change) taken in the same transaction first.
    ref_sql replace > "$OUT/ref-replace.sql"
    ref_sql allowlist > "$OUT/ref-allowlist.sql"
    lib_measure ref-sql-replace-with-copy S2 "\$MA -N s2_l < '$OUT/ref-replace.sql'" "echo $rows_i"
    log "after ref-sql-replace-with-copy: wp_users $(same wp_users), wp_usermeta $(same wp_usermeta)"
    lib_measure ref-sql-allowlist-with-copy S2 "\$MA -N s2_l < '$OUT/ref-allowlist.sql'" "awk '{n += \$1} END {print n}' '$OUT/ref-sql-allowlist-with-copy.out'"
    log "after ref-sql-allowlist-with-copy: wp_users $(same wp_users)"
    BEFORE_EACH=''
    q "DROP DATABASE IF EXISTS rb_bench_s2; DROP DATABASE IF EXISTS rb_bench_s2run; DROP DATABASE IF EXISTS rb_bench_ledger; DROP DATABASE IF EXISTS s2_ref" ;;
  S3)
    BEFORE_EACH='freshb s3lib'
    lib_measure lib-copy S3 "$RB/s3-copy.ts --schema $SRC --target s3lib --scope-file '$D/scope_ids'" "$(count2b s3lib)"
    BEFORE_EACH=''
    qb "DROP DATABASE IF EXISTS s3lib" ;;
  S4)
    lib_measure lib-diff S4 "$RB/s4-diff.ts"
    lib_measure lib-diff-counts S4 "$RB/s4-diff.ts --counts" ;;
  S5)
    # On the kit's Galera cluster (peers.sh exports S5_NODE_URLS, S5_CHUNK, MG1, gdamage): the chunked,
    # throttled apply against galera-sql-blanket-replace-1trx.
    gq "DROP DATABASE IF EXISTS rb_bench_s5; DROP DATABASE IF EXISTS rb_bench_ledger"
    BEFORE_EACH='gdamage'
    lib_measure lib-apply-galera-chunked S5 "$RB/s5-apply-galera.ts --chunk $S5_CHUNK"
    log "after lib-apply-galera-chunked (all nodes synced): $(gsync; gsame)"
    BEFORE_EACH=''
    gq "DROP DATABASE IF EXISTS rb_bench_s5; DROP DATABASE IF EXISTS rb_bench_ledger"
    # The lag part, on a primary -> replica pair of its own (the kit's Galera nodes have no binary log to
    # replicate from): untimed here, it prints its own `== S5lag` line into the results.
    log "S5 lag: primary -> replica pair, SQL thread stopped ${S5_STOP:-8} s, limit ${S5_LIMIT:-5} s"
    DAMAGE_SQL="$damage_sql" $RB/s5-lag.ts --dump "$F2" --chunk "$S5_CHUNK" --limit "${S5_LIMIT:-5}" --stop "${S5_STOP:-8}" \
      > "$OUT/s5-lag.out" 2>> "$LOG"
    cat "$OUT/s5-lag.out" >> "$LOG"
    grep '^== S5lag' "$OUT/s5-lag.out" | tee -a "$RES" >&2 ;;
esac
