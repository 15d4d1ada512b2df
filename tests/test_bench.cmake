# A smoke run of survey-bench at a tiny size (the benchmark itself is not
# part of the test run: bench/run). It must complete and print every target
# line in the documented form, and the group commit and request stage
# lines it reads from the collector's log (so the formats cannot drift
# apart), the collector's CPU by thread with its named threads, and (where
# the kernel has schedstat) the line of its threads' time on a core and
# waiting for one, and the load generator's own CPU line, and the run
# with every program (at least 10 answers more a submission than the
# 2024 rates give, and its own SQLite ratio); no speed is asserted, ever.
if(TARGET survey-bench)
  add_test(NAME test_bench
    COMMAND sh -c "\"$0\" --size 400 --intake 400 --clients 2 --window 16 --corrections 3 --sqlite-intake 40 --work \"$1.work\" > \"$1\" 2>&1 || { cat \"$1\"; exit 1; }; for t in intake_acks_per_s intake_ack_p99 intake_vs_sqlite intake_curve_acks_per_s intake_curve_ack_p99 full_rerun incremental aggregation_vs_sql aggregator_peak_rss; do grep -Eq \"^target $t measured [0-9.e+-]+ [^ ]+ must [0-9.]+ aim [0-9.]+ (pass|FAIL)$\" \"$1\" || { echo \"no target line for $t\"; cat \"$1\"; exit 1; }; done; grep -Eq \"^  group commits \\\\(the collector's log\\\\) +[0-9]+ \\\\([0-9.]+ requests each\" \"$1\" || { echo \"no group commit line (bench/intake.c cannot read the collector's)\"; cat \"$1\"; exit 1; }; grep -Eq \"^  in the collector, per request \\\\(its log\\\\) +[0-9.]+ ms \\\\(open batch [0-9.]+, waiting for the writer [0-9.]+, written and committed [0-9.]+, to the reply [0-9.]+\\\\)$\" \"$1\" || { echo \"no request stage line (bench/intake.c cannot read the collector's)\"; cat \"$1\"; exit 1; }; for n in sv-write sv-prepare sv-flush; do grep -Eq \"^  collector CPU by thread, us per ack +main [0-9.]+(, [^ ,]+ [0-9.]+)*, $n [0-9.]+\" \"$1\" || { echo \"no CPU for $n in the CPU by thread line\"; cat \"$1\"; exit 1; }; done; if [ -r /proc/self/schedstat ]; then grep -Eq \"^  collector threads, % on a core / waiting +main [0-9]+/[0-9]+(, [^ ,]+ [0-9]+/[0-9]+)*, sv-write [0-9]+/[0-9]+\" \"$1\" || { echo 'no line of the threads on a core and waiting'; cat \"$1\"; exit 1; }; fi; grep -Eq \"^  load generator CPU \\\\(the bench itself\\\\) +[0-9.]+ us per ack \\\\(client threads [0-9.]+, the rest its ZeroMQ I/O thread\\\\)$\" \"$1\" || { echo 'no load generator CPU line'; cat \"$1\"; exit 1; }; grep -Eq '^  plain, every program run +[0-9]+ acks/s \\(400 acked, 0 errors' \"$1\" || { echo 'no every-program run with 400 acked'; cat \"$1\"; exit 1; }; grep -Eq '^  intake vs SQLite, every program run +[0-9.]+ x ' \"$1\" || { echo 'no every-program SQLite ratio'; cat \"$1\"; exit 1; }; few=$(sed -n 's/^intake: 400 submissions (\\([0-9]*\\)\\..*/\\1/p' \"$1\"); many=$(sed -n 's/^  its submissions  *\\([0-9]*\\)\\..*/\\1/p' \"$1\"); [ -n \"$few\" ] && [ -n \"$many\" ] && [ \"$many\" -ge $((few + 10)) ] || { echo \"every program run: $many answers against $few\"; cat \"$1\"; exit 1; }"
      $<TARGET_FILE:survey-bench> ${CMAKE_CURRENT_BINARY_DIR}/test_bench.out)
  set_tests_properties(test_bench PROPERTIES TIMEOUT 300)
  # --one-run --curve: the one intake run is the CURVE one (its two target
  # lines, none of the plain run's); --curve alone is refused.
  add_test(NAME test_bench_curve_one_run
    COMMAND sh -c "if \"$0\" --curve --skip-agg --work \"$1.work0\" > \"$1\" 2>&1; then echo '--curve without --one-run was accepted'; exit 1; fi; grep -q -- '--curve goes with --one-run' \"$1\" || { cat \"$1\"; exit 1; }; \"$0\" --one-run --curve --skip-agg --intake 300 --clients 2 --window 16 --work \"$1.work\" > \"$1\" 2>&1 || { cat \"$1\"; exit 1; }; for t in intake_curve_acks_per_s intake_curve_ack_p99; do grep -Eq \"^target $t measured [0-9.e+-]+ [^ ]+ must [0-9.]+ aim [0-9.]+ (pass|FAIL)$\" \"$1\" || { echo \"no target line for $t\"; cat \"$1\"; exit 1; }; done; grep -Eq '^  CURVE +[0-9]+ acks/s \\(300 acked, 0 errors' \"$1\" || { echo 'no CURVE line with 300 acked'; cat \"$1\"; exit 1; }; if grep -Eq '^target intake_acks_per_s|^  plain' \"$1\"; then echo 'a plain run in a --curve run'; cat \"$1\"; exit 1; fi"
      $<TARGET_FILE:survey-bench> ${CMAKE_CURRENT_BINARY_DIR}/test_bench_curve.out)
  set_tests_properties(test_bench_curve_one_run PROPERTIES TIMEOUT 300)
  # --stages-only: the collector's stages and nothing else (no intake, no
  # aggregation, so no target line); with --every-program, on those
  # submissions.
  add_test(NAME test_bench_stages_only
    COMMAND sh -c "\"$0\" --stages-only --intake 300 --work \"$1.work\" > \"$1\" 2>&1 || { cat \"$1\"; exit 1; }; for s in 'decode the request' 'validate, compact record' 'prepare .pack, compress.' 'pack the ack' 'together'; do grep -Eq \"^  $s +[0-9.]+ us\" \"$1\" || { echo \"no stage line: $s\"; cat \"$1\"; exit 1; }; done; grep -q '(300 submissions, fastest of 3 rounds)' \"$1\" || { echo 'not 300 submissions'; cat \"$1\"; exit 1; }; if grep -Eq '^target |^intake:|^aggregation:' \"$1\"; then echo 'more than the stages in a --stages-only run'; cat \"$1\"; exit 1; fi; \"$0\" --stages-only --every-program --intake 300 --work \"$1.work2\" > \"$1\" 2>&1 || { cat \"$1\"; exit 1; }; grep -q '(300 submissions, every program run, fastest of 3 rounds)' \"$1\" || { echo 'no stages with every program run'; cat \"$1\"; exit 1; }"
      $<TARGET_FILE:survey-bench> ${CMAKE_CURRENT_BINARY_DIR}/test_bench_stages.out)
  set_tests_properties(test_bench_stages_only PROPERTIES TIMEOUT 300)
  # More corrections than responses (the 2024 survey's own size is 137):
  # the roster is gone round again, each correction on its respondent's
  # current revision, and the incremental tables still equal a rerun's.
  add_test(NAME test_bench_corrections_round
    COMMAND sh -c "\"$0\" --skip-intake --no-sqlite --size 5 --corrections 12 --work \"$1.work\" > \"$1\" 2>&1 || { cat \"$1\"; exit 1; }; grep -Eq '^  incremental == rerun \\(digest\\) +yes$' \"$1\" || { echo 'incremental tables differ from a rerun'; cat \"$1\"; exit 1; }; grep -Eq '^target incremental measured [0-9.e+-]+ us ' \"$1\" || { echo 'no incremental target line'; cat \"$1\"; exit 1; }"
      $<TARGET_FILE:survey-bench> ${CMAKE_CURRENT_BINARY_DIR}/test_bench_corrections.out)
  set_tests_properties(test_bench_corrections_round PROPERTIES TIMEOUT 300)
endif()

# bench/ab, the side-by-side runs of two collectors, on survey-bench as
# built here (SURVEY_BENCH) and this collector as both A and B: one pair
# is two runs, one line each, then the summary line in its documented
# form; a pair count of 0 is refused. No speed is asserted.
if(TARGET survey-bench AND TARGET survey-collector)
  add_test(NAME test_bench_ab
    COMMAND sh -c "if sh \"$1\" --pairs 0 \"$2\" \"$2\" > \"$3\" 2>&1; then echo '--pairs 0 was accepted'; exit 1; fi; grep -q 'at least 1' \"$3\" || { cat \"$3\"; exit 1; }; SURVEY_BENCH=\"$0\" sh \"$1\" --pairs 1 \"$2\" \"$2\" --intake 300 --clients 2 --window 16 > \"$3\" 2>&1 || { cat \"$3\"; exit 1; }; grep -Eq '^ab acks_per_s A [0-9]+ B [0-9]+ ratio [0-9.]+ b_faster [01] of 1$' \"$3\" || { echo 'no summary line'; cat \"$3\"; exit 1; }; test \"$(grep -Ec '^1 +[AB] +[0-9]+ +[0-9.]+ +[0-9.]+  main=' \"$3\")\" -eq 2 || { echo 'not two run lines'; cat \"$3\"; exit 1; }"
      $<TARGET_FILE:survey-bench> ${CMAKE_SOURCE_DIR}/bench/ab
      $<TARGET_FILE:survey-collector> ${CMAKE_CURRENT_BINARY_DIR}/test_bench_ab.out)
  set_tests_properties(test_bench_ab PROPERTIES TIMEOUT 300)
endif()

# The load steps (bench/load_steps.h): which step the intake's target lines
# report, and the --windows list; then a run of two steps prints its steps
# line with exactly one step reported, and a falling list is refused.
sv_add_test(test_load_steps
  SOURCES test_load_steps.c ${CMAKE_SOURCE_DIR}/bench/load_steps.c)
target_include_directories(test_load_steps PRIVATE ${CMAKE_SOURCE_DIR}/bench)
if(TARGET survey-bench)
  add_test(NAME test_bench_load_steps
    COMMAND sh -c "if \"$0\" --windows 16,8 --skip-agg > \"$1\" 2>&1; then echo 'a falling --windows was accepted'; exit 1; fi; grep -q '8 after 16 (the windows must rise)' \"$1\" || { cat \"$1\"; exit 1; }; \"$0\" --one-run --skip-agg --no-sqlite --intake 300 --clients 2 --windows 8,16 --work \"$1.work\" > \"$1\" 2>&1 || { cat \"$1\"; exit 1; }; grep -Eq '^intake: 300 submissions .* 2 DEALER clients x 8 to 16 in flight \\(load steps' \"$1\" || { echo 'no load steps in the intake line'; cat \"$1\"; exit 1; }; grep -Eq '^  load steps \\(in flight per client\\) +8: [0-9]+ acks/s, p99 [0-9.]+ ms' \"$1\" || { echo 'no steps line'; cat \"$1\"; exit 1; }; test \"$(grep -o 'reported below' \"$1\" | wc -l)\" -eq 1 || { echo 'not one step reported'; cat \"$1\"; exit 1; }; grep -Eq '^  plain \\(no CURVE\\) +[0-9]+ acks/s \\(300 acked, 0 errors' \"$1\" || { cat \"$1\"; exit 1; }"
      $<TARGET_FILE:survey-bench> ${CMAKE_CURRENT_BINARY_DIR}/test_bench_steps.out)
  set_tests_properties(test_bench_load_steps PROPERTIES TIMEOUT 300)
endif()
