#!/usr/bin/env bash
# W14 coldstart from outside: the whole process's wall time over repeated fresh starts of the
# workload runner on this runtime and on plain .NET (and of Go's reference program when a Go
# binary is given), alternating, and the median of each. Usage:
#   benchmarks/coldstart.sh [starts=21] [go-reference-binary]
# Build first: dotnet build -c Release benchmarks/Goroutines.Workloads
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
starts=${1:-21}
gobin=${2:-}
runner=benchmarks/Goroutines.Workloads/bin/Release/net10.0/Goroutines.Workloads.dll
[ -f "$runner" ] || { echo "build the runner first: dotnet build -c Release benchmarks/Goroutines.Workloads" >&2; exit 2; }

declare -A times
kinds=(goroutines dotnet)
[ -n "$gobin" ] && kinds+=(go)
for ((i = 0; i < starts; i++)); do
  for kind in "${kinds[@]}"; do
    begin=$(date +%s%N)
    case $kind in
      go) "$gobin" coldstart >/dev/null ;;
      *) dotnet "$runner" coldstart --runtime "$kind" >/dev/null ;;
    esac
    end=$(date +%s%N)
    times[$kind]+="$(( (end - begin) / 1000 )) "
  done
done

for kind in "${kinds[@]}"; do
  # shellcheck disable=SC2086
  median=$(printf '%s\n' ${times[$kind]} | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] / 1000 }')
  echo "coldstart.wall_ms.$kind $median ms"
done
