// Licensed under the MIT License.

// Many sleepers, the Go counterpart of the workload runner's `sleepers` mode: main spawns N
// goroutines in one loop; each notes when it began, sleeps -sleep, and records how late it
// woke. Figures, named as the runner's: lateness p50, p99 and max, the spawn loop's and the
// whole run's wall time, in ms.
//
//	cd benchmarks/go/sleepers && go run . -n 1000000 -sleep 1s
package main

import (
	"flag"
	"fmt"
	"sort"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 1000000, "goroutines")
	sleep := flag.Duration("sleep", time.Second, "how long each sleeps")
	flag.Parse()

	lateness := make([]time.Duration, *n)
	start := time.Now()
	var all sync.WaitGroup
	all.Add(*n)
	for i := 0; i < *n; i++ {
		go func(i int) {
			began := time.Now()
			time.Sleep(*sleep)
			lateness[i] = time.Since(began) - *sleep
			all.Done()
		}(i)
	}
	spawned := time.Since(start)
	all.Wait()
	wall := time.Since(start)

	sort.Slice(lateness, func(a, b int) bool { return lateness[a] < lateness[b] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	fmt.Printf("sleepers.lateness_p50_ms %.1f ms\n", ms(lateness[*n/2]))
	fmt.Printf("sleepers.lateness_p99_ms %.1f ms\n", ms(lateness[*n*99/100]))
	fmt.Printf("sleepers.lateness_max_ms %.1f ms\n", ms(lateness[*n-1]))
	fmt.Printf("sleepers.spawn_ms %.1f ms\n", ms(spawned))
	fmt.Printf("sleepers.wall_ms %.1f ms\n", ms(wall))
}
