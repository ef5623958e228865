#!/usr/bin/env bash
# Feature dumps for tools/calibrate.py: each training set scored against
# faq/ as it stood before its own content passes (the commit of its first
# run), so the confidence learns what a question nobody wrote content for
# looks like. Blind sets are never dumped.
#
#   tools/content-unseen.sh OUT_DIR [BINARY]
set -euo pipefail
out=${1:?usage: tools/content-unseen.sh OUT_DIR [BINARY]}
bin=${2:-target/release/careerbot}
cd "$(dirname "$0")/.."
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# set:commit of its first run:the questions it must decline
for row in tune2-chat:cfb5c93:tune2-offtopic tune2-headline:cfb5c93:tune2-offtopic \
    tune3-real:cfb5c93:tune3-uncovered tune4-chat:acae976:tune4-offtopic \
    tune5-real:4cbf3c5:tune5-uncovered tune6-real:71f40fd:tune6-uncovered \
    tune7-real:2ca145b:tune7-uncovered tune8-real:2991b7e:tune8-uncovered \
    tune9-real:2991b7e:tune9-uncovered tune10-chat:ca3133e:tune10-offtopic; do
  IFS=: read -r set commit off <<<"$row"
  faq=$work/faq-$commit
  if [ ! -d "$faq" ]; then
    mkdir -p "$faq"
    git archive "$commit" faq | tar -x -C "$faq" --strip-components=1
  fi
  "$bin" eval "tests/eval/$set.jsonl" --offtopic "tests/eval/$off.jsonl" \
    --faq "$faq" --index "$work/index-$set" --features "$out/$set.jsonl" >/dev/null
  echo "$set: against faq/ at $commit"
done
