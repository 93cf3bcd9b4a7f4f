package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// minParallelWork is the smallest m*n*k that is split over goroutines. At
// 2^20 a call is about 2 MFLOP, some 20 µs on one core, while waking a worker
// takes a few µs.
const minParallelWork = 1 << 20

// partsPerGoroutine is how many strips each goroutine gets on average. Strips
// are claimed dynamically, so when another process or the garbage collector
// holds a core, the goroutines that run take over its strips. More strips
// mean more duplicated packing; 4 per goroutine cost up to 20% on some
// shapes on an idle machine, 2 cost little.
const partsPerGoroutine = 2

// part is one strip of C that a goroutine computes with sgemmBlocked. The
// slices a, b and c start at the strip's first row or column.
type part struct {
	kern           *microKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

func (p *part) run() {
	ws := workspaces.get()
	sgemmBlocked(p.kern, ws, p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
	workspaces.put(ws)
}

// parallelCall is the reusable state of one split Sgemm call. The caller and
// any worker that receives the call claim parts through next until none are
// left, so a worker that wakes late finds nothing to do instead of delaying
// the call.
type parallelCall struct {
	parts []part
	next  atomic.Int64   // index of the next unclaimed part
	done  sync.WaitGroup // counts the parts still running or unclaimed
	refs  atomic.Int64   // the caller plus each worker that was sent the call
}

func (c *parallelCall) runParts() {
	for {
		i := int(c.next.Add(1) - 1)
		if i >= len(c.parts) {
			return
		}
		c.parts[i].run()
		c.done.Done()
	}
}

// release drops one reference. The last holder clears the caller's slices
// and returns the call to the free list.
func (c *parallelCall) release() {
	if c.refs.Add(-1) != 0 {
		return
	}
	clear(c.parts)
	c.parts = c.parts[:0]
	c.next.Store(0)
	calls.put(c)
}

var calls freeList[parallelCall]

// Worker goroutines live as long as the process and take calls from workCh.
// When its buffer is full the caller does not wait but runs the parts itself.
var (
	workCh      = make(chan *parallelCall, 64)
	workersMu   sync.Mutex
	workerCount atomic.Int64
)

// ensureWorkers starts worker goroutines until at least n exist.
func ensureWorkers(n int) {
	if workerCount.Load() >= int64(n) {
		return
	}
	workersMu.Lock()
	defer workersMu.Unlock()
	for ; workerCount.Load() < int64(n); workerCount.Add(1) {
		go func() {
			for c := range workCh {
				c.runParts()
				c.release()
			}
		}()
	}
}

// sgemmParallel splits C into up to 2*GOMAXPROCS strips of whole tiles and
// computes them concurrently. Every strip packs all of the operand it does
// not split, so it splits the columns when n >= m, making the m×k A the
// operand packed more than once. Otherwise it splits the rows. When the chosen
// dimension has fewer tiles than goroutines and the other has more, it splits
// the other.
func sgemmParallel(kern *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	threads := runtime.GOMAXPROCS(0)
	tilesM := (m + kern.mr - 1) / kern.mr
	tilesN := (n + kern.nr - 1) / kern.nr
	splitCols := n >= m
	if splitCols && tilesN < threads && tilesM > tilesN {
		splitCols = false
	} else if !splitCols && tilesM < threads && tilesN > tilesM {
		splitCols = true
	}
	tiles := tilesM
	if splitCols {
		tiles = tilesN
	}
	parts := min(threads*partsPerGoroutine, tiles)
	if parts <= 1 || m*n*k < minParallelWork {
		ws := workspaces.get()
		sgemmBlocked(kern, ws, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		workspaces.put(ws)
		return
	}

	helpers := min(parts, threads) - 1 // workers woken besides the caller
	ensureWorkers(helpers)
	call := calls.get()
	if cap(call.parts) < parts {
		call.parts = make([]part, parts)
	}
	call.parts = call.parts[:parts]
	for i := range call.parts {
		// Part i gets tiles i*tiles/parts up to (i+1)*tiles/parts.
		lo, hi := i*tiles/parts, (i+1)*tiles/parts
		p := part{kern: kern, transA: transA, transB: transB, k: k, alpha: alpha, beta: beta,
			a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
		if splitCols {
			j0, j1 := lo*kern.nr, min(hi*kern.nr, n)
			p.m, p.n = m, j1-j0
			p.c = c[j0:]
			if transB {
				p.b = b[j0*ldb:]
			} else {
				p.b = b[j0:]
			}
		} else {
			i0, i1 := lo*kern.mr, min(hi*kern.mr, m)
			p.m, p.n = i1-i0, n
			p.c = c[i0*ldc:]
			if transA {
				p.a = a[i0:]
			} else {
				p.a = a[i0*lda:]
			}
		}
		call.parts[i] = p
	}

	call.done.Add(parts)
	call.refs.Store(1)
	for range helpers {
		call.refs.Add(1)
		select {
		case workCh <- call:
		default:
			call.refs.Add(-1)
		}
	}
	call.runParts()
	call.done.Wait()
	call.release()
}
