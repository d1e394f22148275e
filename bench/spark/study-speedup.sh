#!/usr/bin/env bash
# Wall time of one small real study (MiniLM on spam-assassin) run in process with one thread, and
# as Spark tasks on local-cluster[1,1,M] and local-cluster[2,1,M] (workers x cores x MB; each
# executor its own JVM). The baseline is fine-tuned once and copied into every run, so the times
# are the cells'. Usage: bench/spark/study-speedup.sh [out-dir]   (results in <out-dir>/times.txt)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/bench/target/spark-speedup}"
rm -rf "$out" && mkdir -p "$out"
# Cells long enough (two removals, 128 healing examples) that a cell, not the executors' start-up
# (JVM, ND4J, model, corpus: ~10-15 s each), is what the runs measure.
study=(study --model minilm --data spam-assassin --heal ce --repeats 1 --layers-to-remove 2
       --train-size 128 --heal-size 128 --validation-size 32 --test-size 128 --signal-size 32
       --epochs 1 --heal-epochs 2 --seed 7 --no-report)
export LAYERFUSE_JAVA_OPTS="-Xmx2g -Dorg.bytedeco.javacpp.maxbytes=2g -Dorg.bytedeco.javacpp.maxphysicalbytes=4g"
"$root/layerfuse" "${study[@]}" --threads 1 --strategies weight-norm --out "$out/baseline" > "$out/baseline.log" 2>&1
strategies=weight-norm,gradient-fisher,attention-entropy,random-forest
run() { # name, extra options...
  local name=$1; shift
  mkdir -p "$out/$name/spam-assassin"
  cp -r "$out/baseline/spam-assassin/baseline" "$out/$name/spam-assassin/"
  # The load average matters: on a shared machine a second executor does not get a second free core.
  local rc=0 load t0; load=$(cut -d' ' -f1 /proc/loadavg); t0=$(date +%s.%N)
  "$root/layerfuse" "${study[@]}" --strategies "$strategies" --out "$out/$name" "$@" > "$out/$name.log" 2>&1 || rc=$?
  echo "$name wall $(echo "$(date +%s.%N) - $t0" | bc)s exit $rc load-before $load" | tee -a "$out/times.txt"
  # per-cell times: the driver's progress lines
  grep -h '\[spark\] .*cells done\|^study \[' "$out/$name.log" | tr '\r' '\n' | grep -v '^$' >> "$out/times.txt" || true
}
run in-process --threads 1
run spark-1x1 --spark 'local-cluster[1,1,1280]' --spark-conf spark.executor.memory=1g
run spark-2x1 --spark 'local-cluster[2,1,1280]' --spark-conf spark.executor.memory=1g
