# Shared by bin/test and bin/test-repeat (source it from the repository root).
#
# run_module_tests LOG GOAL [MAVEN ARGS...]
#   Removes every module's old surefire reports, then runs `mvn -B GOAL` over the reactor with test
#   failures recorded instead of fatal (-Dmaven.test.failure.ignore=true: a module whose tests fail
#   still counts as built, so the modules after it, including those that depend on it, still build and
#   run their tests) and --fail-at-end (a module that fails to build or whose test JVM crashes stops
#   only the modules that depend on it). Output goes to the terminal and to LOG. Returns Maven's status.
#
# summarize_tests LOG MAVEN_STATUS [--brief]
#   Prints every failing test of every module and the totals (bin/lib/TestSummary.java); returns 0 only
#   if no test failed or errored, every module built, and Maven exited 0.

clear_test_reports() {
  local dir
  for dir in */target/surefire-reports */target/failsafe-reports; do
    [[ -d "$dir" ]] && rm -rf -- "$dir"
  done
  return 0
}

run_module_tests() {
  local log="$1" goal="$2"
  shift 2
  mkdir -p "$(dirname "$log")"
  clear_test_reports
  local status=0
  mvn -B -Dstyle.color=never -Dmaven.test.failure.ignore=true --fail-at-end "$goal" "$@" 2>&1 | tee "$log" \
    || status=${PIPESTATUS[0]}
  return "$status"
}

summarize_tests() {
  java bin/lib/TestSummary.java "$PWD" "$@"
}
