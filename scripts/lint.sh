#!/usr/bin/env bash
# cppcheck over src/ with zero tolerated findings.
set -euo pipefail
root=${1:-.}
cd "$root"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
  --inline-suppr --suppress=missingIncludeSystem -I src \
  -D__GNUC__ -DSREBOT_VERSION='"0"' src
echo "cppcheck: clean"
