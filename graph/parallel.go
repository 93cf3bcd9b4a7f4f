package graph

import (
	"runtime"
	"sync"
)

// minParallelWork is the number of elements below which ParallelFor stays on one goroutine:
// under about 32K elements of simple arithmetic, starting goroutines costs more than it saves.
const minParallelWork = 1 << 15

// ParallelFor calls fn on consecutive ranges [lo, hi) that cover [0, n), one range per CPU
// (runtime.GOMAXPROCS), and waits for all of them. work is the total number of elements the
// calls will touch; small jobs run on the calling goroutine. fn must be safe to run on
// disjoint ranges at once.
func ParallelFor(n, work int, fn func(lo, hi int)) {
	procs := runtime.GOMAXPROCS(0)
	if procs == 1 || n < 2 || work < minParallelWork {
		fn(0, n)
		return
	}
	parts := min(procs, n)
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/parts)
	wg.Wait()
}
