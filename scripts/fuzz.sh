#!/usr/bin/env bash
# The property tests (kernel suites aside) with fast-check's own random seeds,
# ROUNDS times (default 5): `npm test` runs them on one seed derived from the
# commit, so CI is reproducible; this explores further. It stops at the first
# failure, whose report names the seed and path to replay with FC_SEED/FC_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
mapfile -t files < <(grep -rl 'fc\.assert' test --include='*.test.ts' | grep -v '^test/kernel/' | sort)
for i in $(seq "$rounds"); do
  echo "fuzz round $i of $rounds: ${#files[@]} files"
  FC_RANDOM=1 npx vitest run "${files[@]}"
done
