#!/usr/bin/env bash
# Regenerates the committed seed corpora fuzz/corpus/<target>/ from the 2024
# questionnaire (data/r6), its seed responses and the questionnaire test
# fixtures. The output is the same on every run.
#
# Usage: fuzz/make_corpus.sh [BUILD_DIR]
#   BUILD_DIR (default build-fuzz) is a -DSV_FUZZ=ON build: its
#   fuzz/make_request_seeds packs the requests of corpus/fuzz_request.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
r6=data/r6
bad=tests/fixtures/questionnaire/bad
out=fuzz/corpus

cmake --build "$build" --target make_request_seeds make_revision_seeds \
  >/dev/null
for t in fuzz_request fuzz_questionnaire fuzz_json fuzz_csv fuzz_revision; do
  rm -rf "${out:?}/$t"
  mkdir -p "$out/$t"
done

# fuzz_request: packed Request frames.
"$build/fuzz/make_request_seeds" "$r6/responses.jsonl" "$out/fuzz_request"

# fuzz_revision: stored revision records (LZ4 and zstd) of those submissions.
"$build/fuzz/make_revision_seeds" "$out/fuzz_request" "$out/fuzz_revision"

# fuzz_json: every 12th seed submission, and hand-written ones.
awk -v dir="$out/fuzz_json" 'NR % 12 == 1 {
  f = sprintf("%s/seed-%03d.json", dir, NR); print > f; close(f) }' \
  "$r6/responses.jsonl"
j=$out/fuzz_json
cat >"$j/all-types.json" <<'JSON'
{"survey": "shoman-jiritsu-r6", "respondent": "010006", "base_revision": 3,
 "note": "all types", "submission_id": "8d3c7a52-1f0e-4c1b-9e7a-0d8f6b2c4a11",
 "answers": {"holders": 2203, "consult": "yes", "supporter": "yes",
  "supporter_outsourced": "yes", "fact_finding": "yes",
  "fact_finding_outsourced": "no", "care_support": "yes",
  "consult_window": "head_office",
  "consult_content": ["care_guidance", "peer_counseling"],
  "peer_counselors": ["patient_group_member"],
  "consult_channel": ["counter", "phone", "email"],
  "supporter_contractor": "一般財団法人北海道難病連",
  "ff_method": ["questionnaire", "interview"], "ff_model_form": "yes",
  "ff_challenges": ["none"], "care_support_content": "支援内容"}}
JSON
cat >"$j/get-output.json" <<'JSON'
{"survey": "shoman-jiritsu-r6", "respondent": "020001", "revision": 2,
 "sequence": 17, "time": "2026-11-24T22:00:00.123Z",
 "submitter": "anonymous@127.0.0.1", "note": "second sitting",
 "answers": {"holders": 585, "consult": "no", "consult_channel": []},
 "missing": ["supporter", "fact_finding"]}
JSON
# One JSON document per line: name, then the document.
while IFS=' ' read -r name doc; do
  printf '%s\n' "$doc" >"$j/$name.json"
done <<'JSON'
no-survey {"respondent": "010006", "answers": {"consult": "yes"}}
empty-survey {"survey": "", "respondent": "010006", "answers": {}}
mistyped {"respondent": "010006", "answers": {"consult": ["yes", "no"]}}
big-int {"respondent": "010006", "answers": {"holders": -9223372036854775808}}
text-as-integer {"respondent": "010006", "answers": {"supporter_contractor": 7}}
real-number {"respondent": "010006", "answers": {"holders": 1.5}}
no-wire-form {"respondent": "010006", "answers": {"consult": null, "x": true}}
object-value {"respondent": "010006", "answers": {"y": {}, "z": [1]}}
negative-revision {"respondent": "010006", "base_revision": -1, "answers": {}}
unknown-key {"respondent": "010006", "answers": {}, "extra": 1}
JSON

# fuzz_csv: the 2024 sheets, CSV corner cases and the broken fixtures.
c=$out/fuzz_csv
for s in settings survey choices roster; do cp "$r6/$s.csv" "$c/r6-$s.csv"; done
printf 'a,b,c\r\n"x, y","line 1\r\nline 2","say ""hi"""\r\n' \
  >"$c/quoted-crlf.csv"
printf '\xef\xbb\xbfname,label\n\n  spaced  ,\t tabbed\t\n,,\n' \
  >"$c/bom-blank.csv"
printf 'a,a\n1,2\n' >"$c/duplicate-header.csv"
printf 'a,b\n1,2,3,4\n5\n' >"$c/ragged.csv"
{
  printf '\xef\xbb\xbf'
  printf '団体コード,自治体名,holders,相談支援事業,supporter,consult_channel\r\n'
  printf '010006,北海道,"2,203",○,×,"counter,phone"\r\n'
  printf '20001,青森県,585,〇,-,\r\n'
} >"$c/import-matrix.csv"
printf 'code,consult\r010006,yes\r020001,no\r' >"$c/cr-only.csv"
for f in survey_stray_quote survey_unterminated_quote survey_not_utf8 \
  survey_error_after_multiline survey_duplicate_column; do
  cp "$bad/$f.csv" "$c/$f.csv"
done

# fuzz_questionnaire: a selector byte, then a sheet or an expression.
q=$out/fuzz_questionnaire
{ printf 0; cat "$r6/survey.csv"; } >"$q/0-r6-survey.csv"
{ printf 1; cat "$r6/choices.csv"; } >"$q/1-r6-choices.csv"
{ printf 2; cat "$r6/roster.csv"; } >"$q/2-r6-roster.csv"
{ printf 3; cat "$r6/settings.csv"; } >"$q/3-r6-settings.csv"
for f in "$bad"/*.csv; do
  name=$(basename "$f")
  case $name in
  survey_*) sel=0 ;;
  choices_*) sel=1 ;;
  roster_*) sel=2 ;;
  settings_*) sel=3 ;;
  *) continue ;;
  esac
  { printf '%s' "$sel"; cat "$f"; } >"$q/$sel-$name"
done
cat >"$q/0-nested-groups.csv" <<'CSV'
type,name,label,relevant,required,constraint,report
begin_group,outer,Outer,${consult} != 'no',,,
select_one impl,consult,相談,,yes,,rate matrix
begin_group,inner,Inner,"selected(${consult}, 'yes') or ${holders} > 3",,,
integer,holders,数,,yes,. >= 0 and . <= 100000,matrix sum
select_multiple channel,consult_channel,方法,,no,count-selected(.) <= 3,freq
text,memo,メモ,not(${holders} = 0),no,. != 'x',list
end_group,inner,,,,,
end_group,outer,,,,,
CSV
i=0
while IFS= read -r e; do
  i=$((i + 1))
  printf '4%s' "$e" >"$q/4-expr-$i"
done <<'EXPR'
${supporter} = 'yes'
selected(${consult_content}, 'peer_counseling')
not(selected(., 'none') and count-selected(.) > 1)
. >= 0
${holders} > 100 or (${consult} != 'no' and count-selected(${ff_method}) >= 2)
'10' > 9 and ${holders} <= -3 or "a b" < 'a c'
selected(${holders}, 3) and ${supporter_contractor} = ''
not(not(not(${care_support} = 'yes')))
EXPR
echo "corpus: $(find "$out" -type f | wc -l) files in $out"
