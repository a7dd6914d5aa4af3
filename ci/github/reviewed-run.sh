#!/usr/bin/env bash
# Print `run_id=<id>` of the last successful pull-request run of this workflow for the pull request merged as <sha>.
# Its artifacts hold the plans that were reviewed; ci-apply then checks they are the ones for this tree.
set -euo pipefail
repo=$1 sha=$2
head=$(gh api "repos/$repo/commits/$sha/pulls" --jq '.[0].head.sha')
if [ -z "$head" ] || [ "$head" = null ]; then
  echo "error: $sha is not the merge of a pull request: nothing was reviewed, so nothing is applied" >&2
  exit 1
fi
run=$(gh run list --repo "$repo" --workflow terraform.yml --commit "$head" --event pull_request --status success \
  --limit 1 --json databaseId --jq '.[0].databaseId')
if [ -z "$run" ] || [ "$run" = null ]; then
  echo "error: no successful plan run for the reviewed head $head: plan the pull request again" >&2
  exit 1
fi
echo "run_id=$run"
