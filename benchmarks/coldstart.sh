#!/usr/bin/env bash
# W14 coldstart from outside: the whole process's wall time over repeated fresh starts of the
# workload runner on this runtime and on plain .NET (and of Go's reference program when a Go
# binary is given), alternating, and the median of each. This runtime runs twice: as built (the
# library's IL, compiled by the JIT as it runs) and with the package's ReadyToRun image of the
# library for this machine (src/Goroutines/Goroutines.csproj, ReadyToRunImages), which is what a
# program that depends on the package loads. Given the runner published under Native AOT, both
# runtimes run in it too. Usage:
#   benchmarks/coldstart.sh [starts=21] [go-reference-binary] [native-aot-runner]
# Build first: dotnet build -c Release benchmarks/Goroutines.Workloads
# (the AOT runner: dotnet publish -c Release -r linux-x64 -p:NativeAot=true benchmarks/Goroutines.Workloads -o DIR,
# then pass DIR/Goroutines.Workloads)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
starts=${1:-21}
gobin=${2:-}
aotbin=${3:-}
built=benchmarks/Goroutines.Workloads/bin/Release/net10.0
[ -f "$built/Goroutines.Workloads.dll" ] || { echo "build the runner first: dotnet build -c Release benchmarks/Goroutines.Workloads" >&2; exit 2; }

# The runner again, with the library replaced by its ReadyToRun image for this machine's runtime.
rid=$(dotnet msbuild src/Goroutines -getProperty:NETCoreSdkPortableRuntimeIdentifier)
log=$(mktemp "${TMPDIR:-/tmp}/coldstart-build.XXXXXX")
dotnet build src/Goroutines -c Release -t:ReadyToRunImages -p:ReadyToRunImageRuntimes="$rid" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$log"
precompiled=$(mktemp -d "${TMPDIR:-/tmp}/coldstart.XXXXXX")
trap 'rm -rf "$precompiled"' EXIT
cp -r "$built/." "$precompiled"
cp "src/Goroutines/obj/ReadyToRun/$rid/publish/Goroutines.dll" "$precompiled/"

declare -A times
kinds=(goroutines goroutines-readytorun dotnet)
[ -n "$gobin" ] && kinds+=(go)
[ -n "$aotbin" ] && kinds+=(goroutines-aot dotnet-aot)
for ((i = 0; i < starts; i++)); do
  for kind in "${kinds[@]}"; do
    begin=$(date +%s%N)
    case $kind in
      go) "$gobin" coldstart >/dev/null ;;
      goroutines-aot) "$aotbin" coldstart --runtime goroutines >/dev/null ;;
      dotnet-aot) "$aotbin" coldstart --runtime dotnet >/dev/null ;;
      goroutines-readytorun) dotnet "$precompiled/Goroutines.Workloads.dll" coldstart --runtime goroutines >/dev/null ;;
      *) dotnet "$built/Goroutines.Workloads.dll" coldstart --runtime "$kind" >/dev/null ;;
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
